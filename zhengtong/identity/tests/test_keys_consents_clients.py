from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.identity import keys, services
from zhengtong.identity.models import Client, Consent, SigningKey, Token
from zhengtong.identity.tests.conftest import basic, make_client


def test_jwks_has_es256_and_rs256_and_rotation_keeps_live_tokens_valid(signed_in, rp, admin, tokens):
    before = signed_in.get("/oidc/jwks.json").json()["keys"]
    assert sorted(k["alg"] for k in before) == ["ES256", "RS256"]
    assert all("d" not in k and "p" not in k for k in before)  # public parts only
    old_kid = jwt.decode(tokens["access_token"], KeySet.import_key_set({"keys": before})).header["kid"]
    services.keys_rotate(actor=admin)
    after = signed_in.get("/oidc/jwks.json").json()["keys"]
    assert len(after) == 4 and old_kid in {k["kid"] for k in after}
    # the token signed by the retiring key still works
    assert (
        signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code
        == 200
    )
    fresh = signed_in.post(
        "/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, **basic()
    )
    new_kid = jwt.decode(fresh.json()["access_token"], KeySet.import_key_set({"keys": after})).header["kid"]
    assert new_kid != old_kid
    # once every token it signed has expired, the retiring key leaves the JWKS
    assert keys.retire_expired() == 0
    SigningKey.objects.filter(status="retiring").update(retiring_at=timezone.now() - timedelta(hours=2))
    assert keys.retire_expired() == 2
    assert {k["kid"] for k in signed_in.get("/oidc/jwks.json").json()["keys"]} == {
        r.public_jwk["kid"] for r in SigningKey.objects.filter(status="active")
    }
    assert AuditEvent.objects.filter(action="identity.keys_rotate").count() == 1


def test_keys_rotate_needs_the_permission(world):
    with pytest.raises(PermissionDenied):
        services.keys_rotate(actor=world.xihu_clerk)
    assert SigningKey.objects.filter(status="retiring").count() == 0


def test_my_authorizations_lists_and_revokes(signed_in, rp, tokens, world):
    page = signed_in.get("/account/authorizations/")
    assert page.status_code == 200
    assert rp.name in page.content.decode() and rp.purpose in page.content.decode()
    consent = Consent.objects.get(user=world.citizen)
    response = signed_in.post(f"/account/authorizations/{consent.pk}/revoke/")
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert Token.objects.filter(revoked_at__isnull=True).count() == 0
    assert (
        signed_in.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code
        == 401
    )
    assert AuditEvent.objects.filter(action="identity.consent_revoke").count() == 1


def test_nobody_revokes_another_persons_consent(client, rp, tokens, world):
    consent = Consent.objects.get(user=world.citizen)
    client.force_login(world.xihu_clerk)
    response = client.post(f"/api/v1/identity/consents/{consent.pk}/revoke")
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert Token.objects.filter(revoked_at__isnull=True).count() == 1


def test_consent_api_lists_mine(signed_in, rp, tokens):
    rows = signed_in.get("/api/v1/identity/consents").json()
    assert [r["client_id"] for r in rows] == ["demo-rp"] and rows[0]["scopes"] == ["openid", "profile"]


def test_registering_clients_needs_the_permission_at_the_unit(world, admin):
    with pytest.raises(PermissionDenied):
        make_client(world.xihu_clerk, world, "x-app")
    xihu_admin = world.staff("xihu_id_admin", "identity_admin", world.xihu)
    with pytest.raises(PermissionDenied):
        make_client(xihu_admin, world, "y-app", org_unit=world.yiwu, department=world.yiwu_scjg)
    assert Client.objects.count() == 0
    client = make_client(xihu_admin, world, "z-app")
    yiwu_admin = world.staff("yiwu_id_admin", "identity_admin", world.yiwu)
    with pytest.raises(PermissionDenied):
        services.client_disable(actor=yiwu_admin, client=client)
    client.refresh_from_db()
    assert client.enabled


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"subject_type": "public"}, "public_sub_reason"),
        ({"scopes": ["openid", "id_number"]}, "legal_basis"),
        ({"redirect_uris": ["http://example.com/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["https://example.com/cb#frag"]}, "redirect_uris"),
        ({"scopes": ["openid", "root"]}, "scopes"),
        ({"client_type": "public", "grant_types": ["client_credentials"]}, "grant_types"),
    ],
)
def test_client_rules(world, admin, changes, field):
    with pytest.raises(ValidationError) as exc:
        make_client(admin, world, "bad-app", **changes)
    assert field in exc.value.fields
    assert Client.objects.count() == 0


def test_client_registry_page_registers_and_shows_the_secret_once(client, world, admin):
    client.force_login(admin)
    form = {
        "client_id": "dept-app",
        "name": "部门应用",
        "org_unit": "330106",
        "department": world.xihu_scjg.code,
        "purpose": "办理业务",
        "client_type": "confidential",
        "redirect_uris": "https://dept.example.gov.cn/callback",
        "scopes": ["openid", "profile"],
        "grant_types": ["authorization_code"],
        "sector": "dept",
        "subject_type": "pairwise",
        "id_token_alg": "ES256",
    }
    response = client.post("/console/identity/clients/", form)
    assert response.status_code == 200
    text = response.content.decode()
    assert "ztc_" in text
    created = Client.objects.get(client_id="dept-app")
    assert created.secret is not None and created.secret.kind == "client_secret"
    assert "ztc_" not in client.get("/console/identity/clients/").content.decode()
    rotate = client.post(f"/console/identity/clients/{created.pk}/", {"action": "rotate"})
    assert "ztc_" in rotate.content.decode()
    created.refresh_from_db()
    assert created.secret.revoked_at is None


def test_data_key_is_a_scoped_credential(world, admin, rp):
    from zhengtong.accounts import credentials

    row, secret = services.data_key_issue(actor=admin, client=rp, scopes=["data:population-stats"], days=30)
    assert row.kind == "data_api_key" and row.scopes == ["data:population-stats"]
    assert credentials.credential_authenticate(secret, kind="data_api_key").pk == row.pk
    with pytest.raises(ValidationError):
        services.data_key_issue(actor=admin, client=rp, scopes=["everything"], days=30)
