"""The client registry's edit form: redirect URIs (exact, https or loopback), scopes and disabling
in one step; who may use it, and that a refusal changes nothing."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.identity.models import Client, Token

URL = "/console/identity/clients/{}/edit/"


def _snapshot(client: Client):
    client.refresh_from_db()
    return (client.redirect_uris, client.scopes, client.enabled)


def _form(**kw):
    data = {
        "redirect_uris": "https://app.example.gov.cn/cb\nhttp://127.0.0.1:9000/cb",
        "scopes": ["openid", "profile"],
    }
    data.update(kw)
    return data


def test_edit_form_changes_uris_and_scopes_and_revokes_tokens_of_removed_scopes(client, admin, rp, tokens):
    client.force_login(admin)
    page = client.get(URL.format(rp.pk))
    assert page.status_code == 200
    assert "http://127.0.0.1:8765/callback" in page.content.decode()
    response = client.post(URL.format(rp.pk), _form())
    assert response.status_code == 302 and response["Location"] == "/console/identity/clients/"
    assert _snapshot(rp) == (
        ["https://app.example.gov.cn/cb", "http://127.0.0.1:9000/cb"],
        ["openid", "profile"],
        True,
    )
    # The live token carried "openid profile" (both still allowed): kept.
    assert Token.objects.filter(client=rp, revoked_at__isnull=True).count() == 1
    client.post(URL.format(rp.pk), _form(scopes=["openid"]))
    assert Token.objects.filter(client=rp, revoked_at__isnull=True).count() == 0
    event = AuditEvent.objects.filter(action="identity.client_update").order_by("id").last()
    assert event.before["scopes"] == ["openid", "profile"]
    assert event.after == {
        "redirect_uris": ["https://app.example.gov.cn/cb", "http://127.0.0.1:9000/cb"],
        "scopes": ["openid"],
        "enabled": True,
        "tokens_revoked": 1,
    }


def test_edit_form_disables_at_once(client, admin, rp, tokens):
    client.force_login(admin)
    response = client.post(
        URL.format(rp.pk), _form(redirect_uris="http://127.0.0.1:8765/callback", disabled="on")
    )
    assert response.status_code == 302
    assert _snapshot(rp)[2] is False
    assert Token.objects.filter(client=rp, revoked_at__isnull=True).count() == 0
    introspected = client.post(
        "/oidc/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION="Basic ZGVtby1ycDpkZW1vLXJwLXNlY3JldA==",
    )
    assert introspected.status_code == 401 and introspected.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "uris, rule",
    [
        ("http://app.example.gov.cn/cb", "http is allowed only for loopback addresses"),
        ("https://app.example.gov.cn/cb#x", "absolute http(s) URIs without a fragment"),
        ("https://*.example.gov.cn/cb", "no wildcard"),
        ("https://app.example.gov.cn/*", "no wildcard"),
        ("https://user@app.example.gov.cn/cb", "no wildcard, user name or spaces"),
        ("/relative/cb", "absolute http(s) URIs without a fragment"),
        ("javascript:alert(1)", "absolute http(s) URIs without a fragment"),
        ("", "at least one URI"),
    ],
)
def test_edit_form_names_the_field_and_rule_and_changes_nothing(client, admin, rp, uris, rule):
    before = _snapshot(rp)
    client.force_login(admin)
    response = client.post(URL.format(rp.pk), _form(redirect_uris=uris))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["redirect_uris"]
    assert rule in errors["redirect_uris"][0]
    assert _snapshot(rp) == before
    assert not AuditEvent.objects.filter(action="identity.client_update").exists()


def test_edit_form_refuses_unknown_and_unbacked_scopes(client, admin, rp):
    before = _snapshot(rp)
    client.force_login(admin)
    response = client.post(URL.format(rp.pk), _form(scopes=["openid", "root"]))
    assert response.status_code == 200 and "scopes" in response.context["form"].errors
    response = client.post(URL.format(rp.pk), _form(scopes=["openid", "id_number"]))
    assert response.context["form"].errors["scopes"] == ["the id_number scope needs a stated legal basis"]
    assert _snapshot(rp) == before


def test_edit_needs_the_permission_at_the_clients_unit(client, world, rp):
    before = _snapshot(rp)
    yiwu_admin = world.staff("yiwu_id_admin2", "identity_admin", world.yiwu)
    for actor in (yiwu_admin, world.xihu_clerk):
        client.force_login(actor)
        assert client.get(URL.format(rp.pk)).status_code == 404
        response = client.post(URL.format(rp.pk), _form(disabled="on"))
        assert response.status_code == 404
        assert _snapshot(rp) == before
    client.force_login(world.citizen)
    response = client.post(URL.format(rp.pk), _form(disabled="on"))
    assert response.status_code in {302, 403, 404}
    assert _snapshot(rp) == before
    client.logout()
    response = client.post(URL.format(rp.pk), _form(disabled="on"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert _snapshot(rp) == before
    assert not AuditEvent.objects.filter(action="identity.client_update").exists()


def test_service_refuses_another_units_admin(world, rp):
    from zhengtong.core.errors import PermissionDenied
    from zhengtong.identity import services

    yiwu_admin = world.staff("yiwu_id_admin3", "identity_admin", world.yiwu)
    before = _snapshot(rp)
    with pytest.raises(PermissionDenied):
        services.client_update(
            actor=yiwu_admin, client=rp, redirect_uris=[], scopes=["openid"], enabled=False
        )
    assert _snapshot(rp) == before
