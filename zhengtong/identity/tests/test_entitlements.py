"""Data entitlements as scopes (issue 12, item 6): a consumer system gets a sharing grant or a
sandbox project as a scope of a client-credentials token, uses it at the sharing exchange, and
every refusal issues nothing and is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied
from zhengtong.identity.models import Token
from zhengtong.identity.server import unverified_claims
from zhengtong.identity.tests.conftest import basic, make_client
from zhengtong.sharing import services as sharing
from zhengtong.sharing.models import Exchange, Grant
from zhengtong.sharing.services import exchange
from zhengtong.sharing.tests.conftest import Shr

SYS_SECRET = "consumer-system-secret"


@pytest.fixture
def shr(world):
    return Shr(world)


@pytest.fixture
def system(admin, world):
    """The consumer department's system (西湖区市场监督管理局, the grant's consumer)."""
    return make_client(
        admin,
        world,
        "scjg-system",
        scopes=["sharing:grant:*", "sandbox:project:*"],
        grant_types=["client_credentials"],
        redirect_uris=[],
        secret=SYS_SECRET,
    )


def token_request(http, scope, client_id="scjg-system", secret=SYS_SECRET):
    return http.post(
        "/oidc/token", {"grant_type": "client_credentials", "scope": scope}, **basic(client_id, secret)
    )


def introspect(http, token, client_id="scjg-system", secret=SYS_SECRET):
    return http.post("/oidc/introspect", {"token": token}, **basic(client_id, secret)).json()


def refused(http, scope, *, client_id="scjg-system", secret=SYS_SECRET, contains=""):
    """The request is refused invalid_scope, nothing is issued and the refusal is audited."""
    tokens_before = Token.objects.count()
    audits_before = AuditEvent.objects.filter(action="identity.token_refused").count()
    response = token_request(http, scope, client_id, secret)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_scope"
    assert contains in response.json()["error_description"]
    assert Token.objects.count() == tokens_before
    events = AuditEvent.objects.filter(action="identity.token_refused").order_by("id")
    assert events.count() == audits_before + 1
    last = events.last()
    assert last.target_label == client_id
    assert last.after["error"] == "invalid_scope" and contains in last.after["description"]
    return response


def test_grant_as_scope_expires_with_the_grant_and_opens_the_exchange(client, shr, system):
    grant, _key = shr.grant()
    soon = timezone.now() + dt.timedelta(seconds=300)
    Grant.objects.filter(pk=grant.pk).update(expires_at=soon)
    exchange.forget_grants()
    response = token_request(client, f"sharing:grant:{grant.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == f"sharing:grant:{grant.pk}"
    assert 240 <= body["expires_in"] <= 300  # the grant's end, not the default 900 s
    values = unverified_claims(body["access_token"])
    assert values["exp"] <= int(soon.timestamp())
    assert values["sub"] == "scjg-system" and "urn:zhengtong:sharing" in values["aud"]
    row = Token.objects.get(jti=values["jti"])
    assert row.user is None and row.expires_at <= soon
    assert AuditEvent.objects.filter(action="identity.token_issue", after__scope=body["scope"]).count() == 1
    # The exchange endpoint takes the token as the credential bound to the grant.
    answer = client.post(
        "/api/v1/sharing/exchange/verify",
        {"subject": {"resident_id": shr.person.resident_id, "name": "张三"}, "on_behalf_of": "ZJ-1"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {body['access_token']}",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["result"] == "match"
    assert Exchange.objects.filter(grant=grant, outcome="ok").count() == 1
    assert introspect(client, body["access_token"])["active"] is True


def test_revoked_grant_refuses_scope_introspection_and_exchange(client, shr, system):
    grant, _key = shr.grant()
    token = token_request(client, f"sharing:grant:{grant.pk}").json()["access_token"]
    sharing.grant_revoke(actor=shr.owner, grant=grant, note="泄露")
    assert introspect(client, token) == {"active": False}
    refused(client, f"sharing:grant:{grant.pk}", contains="revoked")
    with pytest.raises(PermissionDenied) as exc:
        sharing.exchange_call(
            secret=token, mode="verification", body={"subject": {"resident_id": "x"}}, client="10.0.0.9"
        )
    assert exc.value.code == "grant_inactive"
    assert Exchange.objects.filter(grant=grant, outcome="refused", reason="grant_inactive").count() == 1


def test_suspended_grant_refuses(client, shr, system):
    grant, _key = shr.grant()
    token = token_request(client, f"sharing:grant:{grant.pk}").json()["access_token"]
    sharing.grant_suspend(actor=shr.owner, grant=grant, note="核查")
    assert introspect(client, token) == {"active": False}
    refused(client, f"sharing:grant:{grant.pk}", contains="suspended")


def test_expired_grant_refuses(client, shr, system):
    grant, _key = shr.grant()
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + dt.timedelta(seconds=2))
    token = token_request(client, f"sharing:grant:{grant.pk}").json()["access_token"]
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert introspect(client, token) == {"active": False}
    refused(client, f"sharing:grant:{grant.pk}", contains="expired")


def test_grant_of_another_department_is_refused(client, shr, admin, world):
    grant, _key = shr.grant()
    make_client(
        admin,
        world,
        "yiwu-system",
        department=world.yiwu_scjg,
        org_unit=world.yiwu,
        scopes=["sharing:grant:*"],
        grant_types=["client_credentials"],
        redirect_uris=[],
        secret="yiwu-secret",
    )
    refused(
        client,
        f"sharing:grant:{grant.pk}",
        client_id="yiwu-system",
        secret="yiwu-secret",
        contains="not an entitlement",
    )


def test_unknown_grant_family_not_allowed_and_several_grants_refused(client, shr, admin, world, system):
    grant, _key = shr.grant()
    refused(client, "sharing:grant:999999", contains="no such entitlement")
    refused(client, "sharing:grant:abc", contains="no such entitlement")
    refused(client, f"sharing:grant:{grant.pk} sharing:grant:{grant.pk + 1}", contains="one sharing grant")
    make_client(
        admin,
        world,
        "plain-system",
        scopes=["openid"],
        grant_types=["client_credentials"],
        redirect_uris=[],
        secret="plain-secret",
    )
    # Not allowed the family at all: Authlib's own invalid_scope (no description to match).
    refused(client, f"sharing:grant:{grant.pk}", client_id="plain-system", secret="plain-secret")


def test_data_scope_refused_at_the_authorization_endpoint(client, world, admin, system):
    make_client(admin, world, "both", scopes=["openid", "sharing:grant:*"], secret="both-secret")
    client.force_login(world.citizen)
    response = client.get(
        "/oidc/authorize",
        {
            "response_type": "code",
            "client_id": "both",
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "scope": "openid sharing:grant:1",
            "state": "s",
        },
    )
    assert response.status_code == 302
    assert "error=invalid_scope" in response["Location"]
    assert not Token.objects.exists()


def test_registry_allows_data_families_only_to_confidential_client_credentials(admin, world):
    from zhengtong.core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        make_client(admin, world, "spa", client_type="public", scopes=["openid", "sharing:grant:*"])
    assert exc.value.details["fields"] == {
        "scopes": ["data entitlements are for confidential clients with client credentials"]
    }
    from zhengtong.identity.models import Client

    assert not Client.objects.filter(client_id="spa").exists()


def test_sandbox_project_as_scope(client, world, system):
    from zhengtong.sandbox.models import Project
    from zhengtong.sandbox.tests.conftest import Box

    box = Box(world)
    project = box.approved()
    Project.objects.filter(pk=project.pk).update(applicant_department=world.xihu_scjg)
    body = token_request(client, f"sandbox:project:{project.pk}").json()
    assert body["scope"] == f"sandbox:project:{project.pk}"
    assert introspect(client, body["access_token"])["active"] is True
    Project.objects.filter(pk=project.pk).update(state="closed")
    assert introspect(client, body["access_token"]) == {"active": False}
    refused(client, f"sandbox:project:{project.pk}", contains="closed")
    Project.objects.filter(pk=project.pk).update(
        state="approved", ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    refused(client, f"sandbox:project:{project.pk}", contains="ended")
