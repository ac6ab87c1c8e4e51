"""Enterprise agents choose, at sign-in, an entity they may act for (registry's may_act_for);
staff get their roles and org scope as claims; acr follows the real-name level."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from zhengtong.accounts.kinds import UserKind
from zhengtong.core.identifiers import generate_uscc
from zhengtong.identity import claims
from zhengtong.identity.models import AuthorizationCode, Token
from zhengtong.identity.tests.conftest import authorize_params, exchange, get_code, make_client, pkce, query
from zhengtong.registry import services as registry

USCC = generate_uscc("91330106MA27XL8T0")
OTHER = generate_uscc("91330106MA27XL9T0")


@pytest.fixture
def agent(world):
    rep_person = world.person(world.village, name="张三", seq=11, birth=dt.date(1970, 1, 2))
    agent_person = world.person(world.village, name="王五", seq=37, birth=dt.date(1988, 8, 8))
    entity = registry.legal_entity_create(
        actor=world.xihu_clerk, org_unit=world.xihu, uscc=USCC, name="杭州西湖茶叶有限公司",
        entity_type="有限责任公司", legal_representative="张三",
        legal_rep_resident_id=rep_person.resident_id, registered_address="杭州市西湖区龙井路1号",
    )  # fmt: skip
    registry.legal_entity_create(
        actor=world.xihu_clerk, org_unit=world.xihu, uscc=OTHER, name="别家公司",
        entity_type="有限责任公司", legal_representative="赵六",
        legal_rep_resident_id=world.person(world.village, name="赵六", seq=53).resident_id,
        registered_address="杭州市西湖区1号",
    )  # fmt: skip
    registry.citizen_verify_real_name(actor=world.citizen, resident_id=rep_person.resident_id, name="张三")
    user = world.acc.user_create(
        actor=None, username="agent", password="Test-pass-2025!", kind=UserKind.ENTERPRISE
    )
    registry.citizen_verify_real_name(actor=user, resident_id=agent_person.resident_id, name="王五")
    world.citizen.refresh_from_db()
    user.refresh_from_db()
    registry.entity_authorize(
        actor=world.citizen, entity=entity, grantee=user, valid_until=timezone.now() + dt.timedelta(days=30)
    )
    return user


def test_agent_acts_for_an_authorised_entity_and_the_claims_say_so(client, admin, world, agent):
    make_client(admin, world, scopes=["openid", "enterprise"])
    client.force_login(agent)
    verifier, challenge = pkce()
    params = authorize_params(scope="openid enterprise", challenge=challenge)
    page = client.get("/oidc/authorize", params)
    assert page.status_code == 200 and "杭州西湖茶叶有限公司" in page.content.decode()
    assert "别家公司" not in page.content.decode()
    forged = client.post(f"/oidc/authorize?{urlencode(params)}", {"decision": "allow", "entity": OTHER})
    assert query(forged["Location"])["error"] == "access_denied"
    assert AuthorizationCode.objects.count() == 0
    response = client.post(f"/oidc/authorize?{urlencode(params)}", {"decision": "allow", "entity": USCC})
    code = query(response["Location"])["code"]
    tokens = exchange(client, code, verifier=verifier).json()
    info = client.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert info["entity"] == {"uscc": USCC, "name": "杭州西湖茶叶有限公司"}
    assert info["delegation"] == "authorised"
    assert Token.objects.get().acr == claims.ACR_REAL_NAME


def test_staff_claims_carry_roles_and_org_scope(client, admin, world):
    make_client(admin, world, scopes=["openid", "staff"])
    client.force_login(world.xihu_clerk)
    verifier, challenge = pkce()
    params = authorize_params(scope="openid staff", challenge=challenge)
    tokens = exchange(client, get_code(client, params), verifier=verifier).json()
    info = client.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert info["org_unit"] == "330106"
    assert {"role": "registry_clerk", "org_unit": "330106"} in info["roles"]
