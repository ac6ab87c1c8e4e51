"""The hot paths: introspection of an access token from its signed claims, the cached client and
the revocation set (no query on the token table), and every revocation seen at once."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhengtong.audit.models import AuditEvent, AuditQueue
from zhengtong.audit.services import compute_hash, event_values
from zhengtong.identity import claims, keys, server, services
from zhengtong.identity.models import Consent, SigningKey, Token
from zhengtong.identity.server import unverified_claims
from zhengtong.identity.tests.conftest import authorize_params, basic, exchange, get_code, pkce


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


def _userinfo(http, token):
    return http.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_access_token_carries_the_person_sealed(tokens, world):
    from zhengtong.identity.server import PERSON_CLAIM, open_person, seal_person

    values = unverified_claims(tokens["access_token"])
    sealed = values[PERSON_CLAIM]
    assert str(world.citizen.pk) not in sealed.split(".")
    assert open_person(sealed) == (world.citizen.pk, "", "")
    assert seal_person(world.citizen.pk) != seal_person(world.citizen.pk)  # a fresh nonce each time
    assert open_person(sealed[:-2] + ("AA" if sealed[-2:] != "AA" else "BB")) is None


def test_userinfo_and_the_api_answer_without_a_query_once_warm(signed_in, admin, world):
    from zhengtong.identity.tests.conftest import make_client
    from zhengtong.identity.tests.test_bearer_and_pairwise import _tokens

    make_client(admin, world, "dept-app", scopes=["openid", "profile", "api:read"], secret="s-dept")
    access = _tokens(signed_in, "dept-app", "s-dept", "openid profile api:read")["access_token"]
    signed_in.logout()
    first = _userinfo(signed_in, access)
    me = signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert first.status_code == 200 and me.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = _userinfo(signed_in, access)
        me_again = signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert again.json() == first.json() and me_again.json() == me.json()
    assert me.json()["username"] == world.citizen.username
    assert queries.captured_queries == []


def test_a_change_of_the_person_is_seen_at_once_by_userinfo_and_the_api(signed_in, admin, world):
    from zhengtong.accounts import services as accounts
    from zhengtong.identity.tests.conftest import make_client
    from zhengtong.identity.tests.test_bearer_and_pairwise import _tokens

    make_client(admin, world, "dept-app", scopes=["openid", "profile", "api:read"], secret="s-dept")
    access = _tokens(signed_in, "dept-app", "s-dept", "openid profile api:read")["access_token"]
    signed_in.logout()
    citizen = world.citizen
    # A known language first (the tests' default language is English), read once so it is cached.
    accounts.user_update_preferences(actor=citizen, language="zh-hans", elder_mode=False)
    assert _userinfo(signed_in, access).json()["locale"] == "zh-hans"
    accounts.user_update_preferences(actor=citizen, language="en", elder_mode=True)
    assert _userinfo(signed_in, access).json()["locale"] == "en"
    me = signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}").json()
    assert me["language"] == "en" and me["elder_mode"] is True
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])
    refused = _userinfo(signed_in, access)
    assert refused.status_code == 401 and "disabled" in refused.json()["error_description"]
    assert signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401


def test_revocation_is_seen_at_once_by_userinfo(signed_in, tokens):
    access = tokens["access_token"]
    assert _userinfo(signed_in, access).status_code == 200
    assert signed_in.post("/oidc/revoke", {"token": access}, **basic()).status_code == 200
    refused = _userinfo(signed_in, access)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_the_code_exchange_reads_the_person_in_the_statement_that_claims_the_code(signed_in, rp, world):
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    with CaptureQueriesContext(connection) as queries:
        response = exchange(Client(), code, verifier=verifier)  # a relying party: no session
    assert response.status_code == 200
    row = Token.objects.get()
    assert row.user_id == world.citizen.pk
    event = AuditEvent.objects.get(action="identity.token_issue")
    assert event.actor_id == world.citizen.pk and event.actor_label == world.citizen.username
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if s.startswith("UPDATE") and "identity_authorizationcode" in s]) == 1
    assert not [s for s in sql if s.startswith("SELECT") and 'FROM "accounts_user"' in s]


def test_the_code_exchange_writes_its_token_audit_event_and_queue_row_together(signed_in, rp, world):
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    with CaptureQueriesContext(connection) as queries:
        response = exchange(Client(), code, verifier=verifier)
    assert response.status_code == 200
    row = Token.objects.get()
    assert row.jti == unverified_claims(response.json()["access_token"])["jti"]
    event = AuditEvent.objects.get(action="identity.token_issue")
    assert event.after == {"client": rp.client_id, "grant_type": "authorization_code", "scope": row.scope}
    assert event.hash == compute_hash(event_values(event))  # hashed as record() hashes
    assert list(AuditQueue.objects.values_list("event_id", flat=True).filter(event_id=event.pk)) == [event.pk]
    tables = ('"identity_token"', '"audit_auditevent"', '"audit_auditqueue"')
    writes = [
        q["sql"] for q in queries.captured_queries if any(f"INSERT INTO {t}" in q["sql"] for t in tables)
    ]
    if connection.vendor == "postgresql":
        # One statement: no BEGIN/COMMIT round trips, the three rows written or none.
        assert len(writes) == 1
        assert all(f"INSERT INTO {t}" in writes[0] for t in tables)
    else:
        assert len(writes) == 3


def test_a_token_is_verified_once_per_process_and_every_later_check_still_runs(
    signed_in, rp, admin, tokens, monkeypatch
):
    access = tokens["access_token"]
    calls = []
    decode = server.jwt.decode
    monkeypatch.setattr(
        server.jwt, "decode", lambda token, *a, **k: calls.append(token) or decode(token, *a, **k)
    )
    assert _userinfo(signed_in, access).status_code == 200
    assert _userinfo(signed_in, access).status_code == 200
    assert _introspect(signed_in, access)["active"] is True
    assert (
        signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    )  # not api:read
    assert calls.count(access) == 1  # the signature was checked once
    # a forged signature is another token: checked, refused, and never kept
    head, body, signature = access.split(".")
    forged = f"{head}.{body}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    for _ in range(2):
        refused = _userinfo(signed_in, forged)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert calls.count(forged) == 2
    # revoked after it was verified: refused at once
    assert signed_in.post("/oidc/revoke", {"token": access}, **basic()).status_code == 200
    assert _userinfo(signed_in, access).status_code == 401
    assert _introspect(signed_in, access) == {"active": False}


def test_a_verified_token_is_refused_at_once_when_its_client_is_disabled(signed_in, rp, admin, tokens):
    access = tokens["access_token"]
    assert _userinfo(signed_in, access).status_code == 200  # verified and kept
    services.client_disable(actor=admin, client=rp)  # revokes its tokens and disables it
    refused = _userinfo(signed_in, access)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_a_verified_token_is_refused_once_its_key_is_retired(signed_in, tokens):
    access = tokens["access_token"]
    assert _userinfo(signed_in, access).status_code == 200  # verified and kept
    keys.rotate()
    assert _userinfo(signed_in, access).status_code == 200  # a retiring key still verifies
    SigningKey.objects.filter(status="retiring").update(retiring_at=timezone.now() - timedelta(days=400))
    assert keys.retire_expired() == 2
    refused = _userinfo(signed_in, access)
    assert refused.status_code == 401 and "signature" in refused.json()["error_description"]
