"""The account page's authorisations (issue 17 item 2): the legal representative grants and
revokes; the agent sees theirs and can link only once authorised."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from zhengtong.accounts.models import User, UserKind
from zhengtong.core.identifiers import generate_uscc
from zhengtong.registry import services
from zhengtong.registry.models import EntityAuthorization

USCC = generate_uscc("91330106MA27XL8T0")
PASSWORD = "Test-pass-2025!"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def s(world):
    rep_person = world.person(world.village, name="张三", seq=11, birth=dt.date(1970, 1, 2))
    agent_person = world.person(world.village, name="王五", seq=37, birth=dt.date(1988, 8, 8))
    entity = services.legal_entity_create(
        actor=world.xihu_clerk,
        org_unit=world.xihu,
        uscc=USCC,
        name="杭州西湖茶叶有限公司",
        entity_type="有限责任公司",
        legal_representative="张三",
        legal_rep_resident_id=rep_person.resident_id,
        registered_address="杭州市西湖区龙井路1号",
    )
    services.citizen_verify_real_name(actor=world.citizen, resident_id=rep_person.resident_id, name="张三")
    agent = world.acc.user_create(actor=None, username="agent", password=PASSWORD, kind=UserKind.ENTERPRISE)
    services.citizen_verify_real_name(actor=agent, resident_id=agent_person.resident_id, name="王五")
    world.citizen.refresh_from_db()
    agent.refresh_from_db()
    return {"rep": world.citizen, "agent": agent, "entity": entity}


def link(client):
    return client.post("/account/", {"action": "enterprise", "ent-uscc": USCC})


def test_link_without_authorisation_shows_the_refusal_on_the_form(s):
    response = link(logged_in(s["agent"]))
    assert response.status_code == 200
    assert "you hold no authorisation from this legal entity" in response.content.decode()
    assert User.objects.get(pk=s["agent"].pk).uscc == ""


def test_representative_grants_agent_links_and_representative_revokes(s):
    rep = logged_in(s["rep"])
    page = rep.get("/account/").content.decode()
    assert "Authorisations of the enterprises I represent" in page
    response = rep.post(
        "/account/",
        {
            "action": "authorize",
            "auth-entity": s["entity"].pk,
            "auth-grantee": "agent",
            "auth-scope": "ZJ-SCJG-005, ZJ-SCJG-002",
            "auth-days": "30",
        },
    )
    assert response.status_code == 302
    auth = EntityAuthorization.objects.get()
    assert (auth.grantee_id, auth.granted_by_id, auth.scope) == (
        s["agent"].pk,
        s["rep"].pk,
        ["ZJ-SCJG-002", "ZJ-SCJG-005"],
    )
    agent = logged_in(s["agent"])
    assert link(agent).status_code == 302
    assert User.objects.get(pk=s["agent"].pk).uscc == USCC
    page = agent.get("/account/").content.decode()
    assert "My authorisations to act for enterprises" in page and "ZJ-SCJG-002, ZJ-SCJG-005" in page
    response = rep.post("/account/", {"action": "authorization_revoke", "authorization": auth.pk})
    assert response.status_code == 302
    assert EntityAuthorization.objects.get().revoked_at is not None
    page = agent.get("/account/").content.decode()
    assert "is suspended" in page


def test_agent_page_shows_no_grant_form_and_others_cannot_revoke(s, world):
    auth = services.entity_authorize(
        actor=s["rep"],
        entity=s["entity"],
        grantee=s["agent"],
        valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
    )
    other = world.acc.user_create(actor=None, username="other", password=PASSWORD, kind=UserKind.CITIZEN)
    assert "Grant authorisation" not in logged_in(s["agent"]).get("/account/").content.decode()
    response = logged_in(other).post(
        "/account/", {"action": "authorization_revoke", "authorization": auth.pk}
    )
    assert response.status_code == 404
    assert EntityAuthorization.objects.get().revoked_at is None


def test_grant_to_an_unknown_or_unverified_account_is_a_form_error(s, world):
    world.acc.user_create(actor=None, username="plain", password=PASSWORD, kind=UserKind.ENTERPRISE)
    for username in ("nobody", "plain"):
        response = logged_in(s["rep"]).post(
            "/account/",
            {
                "action": "authorize",
                "auth-entity": s["entity"].pk,
                "auth-grantee": username,
                "auth-days": "30",
            },
        )
        assert response.status_code == 200
        assert "authorise a real-name verified account only" in response.content.decode()
    assert not EntityAuthorization.objects.exists()
