"""``prompt=none`` (login_required / consent_required), ``prompt=login`` and ``max_age``, with
``auth_time`` in the ID token (OpenID Connect Core 3.1.2.1)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.identity.models import AuthorizationCode
from zhengtong.identity.server import unverified_claims
from zhengtong.identity.tests.conftest import authorize_params, exchange, get_code, pkce, query
from zhengtong.identity.views.oidc import REAUTH_SINCE

STATE = "st-123/ä?&"


def _error_redirect(response, error):
    assert response.status_code == 302, response.content[-500:]
    assert response["Location"].startswith("http://127.0.0.1:8765/callback")
    values = query(response["Location"])
    assert values["error"] == error
    assert values["state"] == STATE
    assert "code" not in values
    assert not AuthorizationCode.objects.exists()


def _id_token(http, params, verifier):
    code = get_code(http, params)
    response = exchange(http, code, verifier=verifier)
    assert response.status_code == 200, response.content
    return unverified_claims(response.json()["id_token"])


def _age(user, seconds):
    user.last_login = timezone.now() - dt.timedelta(seconds=seconds)
    user.save(update_fields=["last_login"])


def test_prompt_none_anonymous_is_login_required(client, rp):
    _error_redirect(client.get("/oidc/authorize", authorize_params(prompt="none")), "login_required")


def test_prompt_none_without_consent_is_consent_required(signed_in, rp):
    _error_redirect(signed_in.get("/oidc/authorize", authorize_params(prompt="none")), "consent_required")


def test_prompt_none_with_consent_issues_a_code_silently(signed_in, rp):
    verifier, challenge = pkce()
    get_code(signed_in, authorize_params(challenge=challenge))  # consents
    again = authorize_params(challenge=challenge, prompt="none", nonce="n-2")
    response = signed_in.get("/oidc/authorize", again)
    assert response.status_code == 302
    assert "code" in query(response["Location"])


def test_prompt_login_asks_a_signed_in_person_to_sign_in_again(signed_in, rp, world):
    verifier, challenge = pkce()
    params = authorize_params(challenge=challenge, prompt="login")
    _age(world.citizen, 3600)
    response = signed_in.get("/oidc/authorize", params)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    asked = signed_in.session[REAUTH_SINCE]
    assert not AuthorizationCode.objects.exists()
    signed_in.force_login(world.citizen)  # the portal's sign-in again (updates last_login)
    claims = _id_token(signed_in, params, verifier)
    world.citizen.refresh_from_db()
    assert claims["auth_time"] == int(world.citizen.last_login.timestamp())
    assert claims["auth_time"] >= int(asked)
    assert REAUTH_SINCE not in signed_in.session
    # Answered: the next prompt=login asks again.
    response = signed_in.get("/oidc/authorize", {**params, "nonce": "n-2"})
    assert response["Location"].startswith("/login/")


def test_prompt_login_for_an_anonymous_person_needs_one_sign_in(client, rp, world):
    verifier, challenge = pkce()
    params = authorize_params(challenge=challenge, prompt="login")
    response = client.get("/oidc/authorize", params)
    assert response["Location"].startswith("/login/")
    client.force_login(world.citizen)
    claims = _id_token(client, params, verifier)
    assert claims["auth_time"] >= int(client.session.get(REAUTH_SINCE, 0))


def test_max_age_exceeded_asks_for_sign_in_and_auth_time_follows(signed_in, rp, world):
    verifier, challenge = pkce()
    params = authorize_params(challenge=challenge, max_age="60")
    _age(world.citizen, 600)
    response = signed_in.get("/oidc/authorize", params)
    assert response["Location"].startswith("/login/")
    assert not AuthorizationCode.objects.exists()
    signed_in.force_login(world.citizen)
    claims = _id_token(signed_in, params, verifier)
    assert abs(claims["auth_time"] - int(timezone.now().timestamp())) <= 60


def test_max_age_within_limit_needs_no_sign_in(signed_in, rp, world):
    verifier, challenge = pkce()
    _age(world.citizen, 30)
    claims = _id_token(signed_in, authorize_params(challenge=challenge, max_age="600"), verifier)
    world.citizen.refresh_from_db()
    assert claims["auth_time"] == int(world.citizen.last_login.timestamp())


def test_max_age_exceeded_with_prompt_none_is_login_required(signed_in, rp, world):
    _, challenge = pkce()
    get_code(signed_in, authorize_params(challenge=challenge))  # consents
    AuthorizationCode.objects.all().delete()
    _age(world.citizen, 600)
    response = signed_in.get("/oidc/authorize", authorize_params(prompt="none", max_age="60"))
    _error_redirect(response, "login_required")


def test_bad_max_age_is_invalid_request(signed_in, rp):
    for bad in ("abc", "-5", "1.5", "9999999999"):
        response = signed_in.get("/oidc/authorize", authorize_params(max_age=bad))
        _error_redirect(response, "invalid_request")
