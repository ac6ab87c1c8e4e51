"""The hot paths: introspection of an access token from its signed claims, the cached client and
the revocation set (no query on the token table), and every revocation seen at once."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengtong.identity import claims, services
from zhengtong.identity.models import Consent, Token
from zhengtong.identity.server import unverified_claims
from zhengtong.identity.tests.conftest import basic


def _introspect(http, token):
    return http.post("/oidc/introspect", {"token": token}, **basic()).json()


def test_introspection_answers_from_the_signed_claims_without_the_token_table(signed_in, tokens):
    access = tokens["access_token"]
    values = unverified_claims(access)
    assert values["zt_v"] == 3 and values["acr"] == claims.ACR_REGISTERED
    first = _introspect(signed_in, access)  # fills the client cache and the revocation set
    with CaptureQueriesContext(connection) as queries:
        again = _introspect(signed_in, access)
    assert again == first
    assert again["active"] is True and again["acr"] == claims.ACR_REGISTERED
    assert again["sub"] == values["sub"] and again["client_id"] == "demo-rp"
    assert again["scope"] == "openid profile" and again["token_type"] == "access_token"
    assert not [q for q in queries.captured_queries if "identity_token" in q["sql"]]


def test_revocation_is_seen_at_once_by_introspection(signed_in, tokens):
    access = tokens["access_token"]
    assert _introspect(signed_in, access)["active"] is True
    response = signed_in.post("/oidc/revoke", {"token": access}, **basic())
    assert response.status_code == 200
    assert _introspect(signed_in, access) == {"active": False}


def test_consent_revocation_is_seen_at_once_by_introspection(signed_in, tokens, world):
    access = tokens["access_token"]
    assert _introspect(signed_in, access)["active"] is True
    consent = Consent.objects.get(user=world.citizen)
    services.consent_revoke(actor=world.citizen, consent_id=consent.pk)
    assert Token.objects.filter(revoked_at__isnull=True).count() == 0
    assert _introspect(signed_in, access) == {"active": False}


def test_refresh_rotation_retires_the_old_access_token(signed_in, tokens):
    access = tokens["access_token"]
    assert _introspect(signed_in, access)["active"] is True
    response = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, **basic()
    )
    assert response.status_code == 200, response.content
    assert _introspect(signed_in, access) == {"active": False}
    fresh = response.json()["access_token"]
    assert unverified_claims(fresh)["acr"] == claims.ACR_REGISTERED
    assert _introspect(signed_in, fresh)["active"] is True
