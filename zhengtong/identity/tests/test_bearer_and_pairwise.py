from __future__ import annotations

import secrets

from zhengtong.identity import claims
from zhengtong.identity.tests.conftest import authorize_params, basic, exchange, get_code, make_client, pkce
from zhengtong.registry import services as registry


def _tokens(http, client_id, secret, scope="openid profile"):
    verifier, challenge = pkce()
    # a fresh nonce each time: a nonce seen before for the client is refused (replay)
    code = get_code(
        http, authorize_params(client_id, scope=scope, challenge=challenge, nonce=secrets.token_hex(8))
    )
    response = exchange(http, code, verifier=verifier, client_id=client_id, secret=secret)
    assert response.status_code == 200, response.content
    return response.json()


def test_api_accepts_oidc_access_token_with_the_api_token_rules(signed_in, admin, world):
    make_client(admin, world, "dept-app", scopes=["openid", "api:read", "api:write"], secret="s-dept")
    make_client(admin, world, "reader-app", sector="b", scopes=["openid", "api:read"], secret="s-reader")
    writer = _tokens(signed_in, "dept-app", "s-dept", "openid api:read api:write")["access_token"]
    reader = _tokens(signed_in, "reader-app", "s-reader", "openid api:read")["access_token"]
    signed_in.logout()
    me = signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert me.status_code == 200 and me.json()["username"] == "citizen"
    # unsafe methods need api:write, as API tokens need "write"
    body = {"name": "x", "scopes": ["read"], "days": 1}
    refused = signed_in.post(
        "/api/v1/me/tokens", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {reader}"
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    allowed = signed_in.post(
        "/api/v1/me/tokens", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {writer}"
    )
    assert allowed.status_code == 201, allowed.content
    bad = signed_in.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {reader[:-4]}AAAA")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_token"


def test_client_credentials_token_acts_for_no_person_at_the_api(client, admin, world):
    make_client(
        admin,
        world,
        "machine",
        scopes=["api:read"],
        grant_types=["client_credentials"],
        redirect_uris=[],
        secret="s-m",
    )
    response = client.post(
        "/oidc/token", {"grant_type": "client_credentials", "scope": "api:read"}, **basic("machine", "s-m")
    )
    assert response.status_code == 200, response.content
    assert "refresh_token" not in response.json()
    token = response.json()["access_token"]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    introspected = client.post("/oidc/introspect", {"token": token}, **basic("machine", "s-m")).json()
    assert introspected["active"] is True and introspected["sub"] == "machine"


def test_pairwise_subjects_differ_between_sectors_and_agree_within_one(signed_in, world, admin):
    make_client(admin, world, "demo-rp", sector="sector-a", secret="a")
    make_client(admin, world, "demo-rp2", sector="sector-b", secret="b")
    make_client(admin, world, "demo-rp3", sector="sector-a", secret="c")
    subs = {}
    for client_id, secret in [("demo-rp", "a"), ("demo-rp2", "b"), ("demo-rp3", "c")]:
        access = _tokens(signed_in, client_id, secret)["access_token"]
        subs[client_id] = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}").json()["sub"]
    assert subs["demo-rp"] != subs["demo-rp2"]
    assert subs["demo-rp"] == subs["demo-rp3"]
    assert str(world.citizen.pk) not in subs.values()
    assert subs["demo-rp"] == claims.subject_for(world.citizen.pk, sector="sector-a")


def test_claims_follow_scope_and_acr_follows_verification(signed_in, world, admin):
    make_client(admin, world, scopes=["openid", "profile", "phone"])
    world.citizen.phone = "13912345678"
    world.citizen.save(update_fields=["phone"])
    access = _tokens(signed_in, "demo-rp", "demo-rp-secret", "openid profile")["access_token"]
    info = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access}").json()
    assert set(info) == {"sub", "name", "locale"}
    phone = _tokens(signed_in, "demo-rp", "demo-rp-secret", "openid phone")["access_token"]
    info = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {phone}").json()
    assert info["phone_number"] == "13912345678" and "name" not in info
    introspected = signed_in.post(
        "/oidc/introspect", {"token": phone}, HTTP_AUTHORIZATION="Basic ZGVtby1ycDpkZW1vLXJwLXNlY3JldA=="
    ).json()
    assert introspected["acr"] == claims.ACR_REGISTERED  # the test citizen is not real-name verified


def test_id_number_only_with_scope_and_legal_basis(signed_in, world, admin):
    person = world.person(world.village, name="张三", seq=11)
    registry.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    make_client(admin, world, "masked", sector="m", scopes=["openid", "id_number_masked"], secret="m")
    make_client(
        admin,
        world,
        "full",
        sector="f",
        scopes=["openid", "id_number"],
        legal_basis="《条例》第十条",
        secret="f",
    )
    masked = _tokens(signed_in, "masked", "m", "openid id_number_masked")["access_token"]
    full = _tokens(signed_in, "full", "f", "openid id_number")["access_token"]
    masked_info = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {masked}").json()
    assert "id_number" not in masked_info
    assert (
        masked_info["id_number_masked"] != person.resident_id
        and masked_info["id_number_masked"][:6] == person.resident_id[:6]
    )
    full_info = signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {full}").json()
    assert full_info["id_number"] == person.resident_id
    assert (
        signed_in.post("/oidc/introspect", {"token": full}, **basic("full", "f")).json()["acr"]
        == claims.ACR_REAL_NAME
    )
