"""Every refusal of issue 12's "Bad input and attacks": the error code the RFCs name, an audit
event, and nothing issued."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import user_create
from zhengtong.audit.models import AuditEvent
from zhengtong.identity import services
from zhengtong.identity.demo import REDIRECT
from zhengtong.identity.models import AuthorizationCode, Token
from zhengtong.identity.tests.conftest import (
    authorize_params,
    basic,
    exchange,
    get_code,
    make_client,
    pkce,
    query,
)


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "/extra",  # extra path
        REDIRECT + "x",  # prefix
        "http://127.0.0.1:8765/",  # a prefix of it
        "http://127.0.0.1:8766/callback",  # other port
        "http://localhost:8765/callback",  # other host
        "https://127.0.0.1:8765/callback",  # other scheme
        REDIRECT + "?a=1",  # extra query
        "",
    ],
)
def test_unregistered_redirect_uri_is_refused_without_redirecting(signed_in, rp, redirect_uri):
    params = authorize_params(redirect_uri=redirect_uri)
    response = signed_in.get("/oidc/authorize", params)
    assert response.status_code == 400
    assert "Location" not in response
    assert b"invalid_request" in response.content
    assert AuthorizationCode.objects.count() == 0
    assert events("identity.authorize_refused") == 1


def test_code_reuse_is_refused_and_revokes_the_tokens_of_that_code(signed_in, rp):
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    first = exchange(signed_in, code, verifier=verifier)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    again = exchange(signed_in, code, verifier=verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 1
    assert Token.objects.get().revoked_at is not None
    refused = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert events("identity.code_reused") == 1
    assert events("identity.token_refused") == 1


def test_missing_pkce_verifier_is_refused(signed_in, rp):
    _verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    response = exchange(signed_in, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert Token.objects.count() == 0
    assert events("identity.token_refused") == 1


def test_wrong_pkce_verifier_is_refused(signed_in, rp):
    _verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    other, _ = pkce()
    response = exchange(signed_in, code, verifier=other)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 0


def test_public_client_must_send_a_code_challenge(signed_in, admin, world):
    make_client(admin, world, "demo-spa", client_type="public", secret=None)
    response = signed_in.get("/oidc/authorize", authorize_params("demo-spa"))
    assert response.status_code == 302
    values = query(response["Location"])
    assert values["error"] == "invalid_request"
    assert values["state"] == "st-123/ä?&"
    assert AuthorizationCode.objects.count() == 0


def test_plain_code_challenge_method_is_refused(signed_in, rp):
    response = signed_in.get(
        "/oidc/authorize", authorize_params(code_challenge="a" * 43, code_challenge_method="plain")
    )
    assert query(response["Location"])["error"] == "invalid_request"


def test_public_client_cannot_exchange_without_verifier(signed_in, admin, world):
    make_client(admin, world, "demo-spa", client_type="public", secret=None)
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params("demo-spa", challenge=challenge))
    response = exchange(signed_in, code, client_id="demo-spa", secret=None)
    assert response.json()["error"] == "invalid_request"
    ok = exchange(signed_in, code, client_id="demo-spa", secret=None, verifier=verifier)
    assert ok.json()["error"] == "invalid_grant"  # the code was claimed by the refused attempt
    assert Token.objects.count() == 0


def test_wrong_client_secret_is_refused(signed_in, rp):
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    response = exchange(signed_in, code, verifier=verifier, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert Token.objects.count() == 0
    assert events("identity.token_refused") == 1


def test_past_the_failure_budget_an_address_is_refused_even_with_the_right_secret(signed_in, rp, settings):
    settings.IDENTITY_FAILURES_PER_ADDRESS = 3
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    for _ in range(3):
        assert exchange(signed_in, code, verifier=verifier, secret="not-the-secret").status_code == 401
    response = exchange(signed_in, code, verifier=verifier)
    assert response.status_code == 429
    assert response.json()["error"] == "invalid_request"
    assert int(response["Retry-After"]) > 0
    assert Token.objects.count() == 0
    assert AuthorizationCode.objects.get().used_at is None  # refused before the code was touched


def test_the_exchange_refuses_a_person_disabled_after_the_code_was_issued(signed_in, rp, world):
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    type(world.citizen).objects.filter(pk=world.citizen.pk).update(is_active=False)
    response = exchange(signed_in, code, verifier=verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 0


def test_expired_code_is_refused(signed_in, rp):
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = exchange(signed_in, code, verifier=verifier)
    assert response.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 0


def test_code_of_another_client_is_refused(signed_in, rp, admin, world):
    make_client(admin, world, "demo-rp2", sector="sector-b", secret="demo-rp2-secret")
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    response = exchange(signed_in, code, verifier=verifier, client_id="demo-rp2", secret="demo-rp2-secret")
    assert response.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 0


def test_state_and_nonce_come_back_intact(signed_in, rp, tokens):
    # state: checked in get_code for every flow; nonce: in the ID token, unchanged.
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["nonce"] == "n-456"


def test_token_of_one_client_is_refused_at_another_audience(signed_in, rp, admin, world, tokens):
    make_client(admin, world, "demo-rp2", sector="sector-b", secret="demo-rp2-secret")
    access = tokens["access_token"]
    # the platform API: the token's audience is demo-rp only
    api = signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.status_code == 401 and api.json()["error"]["code"] == "invalid_token"
    # another client's resource server asking about it learns nothing
    other = signed_in.post("/oidc/introspect", {"token": access}, **basic("demo-rp2", "demo-rp2-secret"))
    assert other.json() == {"active": False}
    own = signed_in.post("/oidc/introspect", {"token": access}, **basic())
    assert own.json()["active"] is True and own.json()["client_id"] == "demo-rp"


def test_revoked_refresh_token_is_refused_and_its_family_revoked(signed_in, rp, tokens):
    first = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, **basic()
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    replay = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, **basic()
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 2
    assert Token.objects.filter(revoked_at__isnull=True).count() == 0  # the thief's copy is dead too
    after = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]}, **basic()
    )
    assert after.json()["error"] == "invalid_grant"
    assert events("identity.refresh_reused") == 2  # each presentation of a dead refresh token


def test_refresh_token_revoked_through_rfc7009_is_refused(signed_in, rp, tokens):
    response = signed_in.post(
        "/oidc/revoke", {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}, **basic()
    )
    assert response.status_code == 200
    again = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, **basic()
    )
    assert again.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 1
    assert signed_in.post("/oidc/introspect", {"token": tokens["access_token"]}, **basic()).json() == {
        "active": False
    }


def test_disabled_client_is_refused_everywhere(signed_in, rp, admin, tokens):
    services.client_disable(actor=admin, client=rp)
    authorize = signed_in.get("/oidc/authorize", authorize_params(challenge=pkce()[1]))
    assert authorize.status_code == 400 and "Location" not in authorize
    assert b"invalid_client" in authorize.content
    refresh = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, **basic()
    )
    assert refresh.status_code == 401 and refresh.json()["error"] == "invalid_client"
    userinfo = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 401
    credentials = signed_in.post("/oidc/token", {"grant_type": "client_credentials"}, **basic())
    assert credentials.json()["error"] == "invalid_client"
    assert Token.objects.count() == 1
    assert AuthorizationCode.objects.count() == 1


def test_scope_not_allowed_to_the_client_is_refused(signed_in, rp):
    response = signed_in.get(
        "/oidc/authorize", authorize_params(scope="openid id_number", challenge=pkce()[1])
    )
    assert response.status_code == 302
    values = query(response["Location"])
    assert values["error"] == "invalid_scope" and values["state"] == "st-123/ä?&"
    assert AuthorizationCode.objects.count() == 0
    assert events("identity.authorize_refused") == 1
    machine = signed_in.post(
        "/oidc/token", {"grant_type": "client_credentials", "scope": "api:write"}, **basic()
    )
    assert machine.status_code == 400 and machine.json()["error"] == "invalid_scope"
    assert Token.objects.count() == 0


def test_enterprise_agent_cannot_choose_an_entity_they_do_not_represent(client, admin, world):
    make_client(admin, world, scopes=["openid", "enterprise"])
    agent = user_create(actor=None, username="agent_x", password="Test-pass-2025!", kind=UserKind.ENTERPRISE)
    client.force_login(agent)
    params = authorize_params(scope="openid enterprise", challenge=pkce()[1], entity="91330106MA2XXXXXX0")
    response = client.get("/oidc/authorize", params)
    assert response.status_code == 302
    values = query(response["Location"])
    assert values["error"] == "access_denied" and values["state"] == "st-123/ä?&"
    assert AuthorizationCode.objects.count() == 0
    assert events("identity.authorize_refused") == 1


def test_declining_consent_is_access_denied(signed_in, rp):
    params = authorize_params(challenge=pkce()[1])
    response = signed_in.post("/oidc/authorize?" + urlencode(params), {"decision": "deny"})
    assert query(response["Location"])["error"] == "access_denied"
    assert AuthorizationCode.objects.count() == 0


def test_unknown_grant_and_response_types(signed_in, rp):
    assert (
        signed_in.post("/oidc/token", {"grant_type": "password"}, **basic()).json()["error"]
        == "unsupported_grant_type"
    )
    response = signed_in.get("/oidc/authorize", authorize_params(response_type="token"))
    assert query(response["Location"])["error"] == "unsupported_response_type"


def test_replayed_nonce_is_refused(signed_in, rp, tokens):
    response = signed_in.get("/oidc/authorize", authorize_params(challenge=pkce()[1]))
    assert query(response["Location"])["error"] == "invalid_request"
    assert AuthorizationCode.objects.count() == 1
