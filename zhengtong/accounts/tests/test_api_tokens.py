"""API tokens: created over the session (with CSRF), used as bearer tokens, stored only as a digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.accounts import services
from zhengtong.accounts.models import Credential
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import AuthenticationRequired, PermissionDenied, ValidationError

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def csrf_token(client) -> str:
    """Any page with a form sets the csrftoken cookie."""
    assert client.get("/").status_code == 200
    return client.cookies["csrftoken"].value


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_session_post_without_csrf_token_is_refused(world):
    client = csrf_client(world.xihu_clerk)
    events = AuditEvent.objects.count()
    response = client.post(
        "/api/v1/me/tokens", data=json.dumps({"name": "script"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "CSRF check Failed"
    assert Credential.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_session_post_with_csrf_token_creates_a_token_shown_once(world):
    client = csrf_client(world.xihu_clerk)
    response = client.post(
        "/api/v1/me/tokens",
        data=json.dumps({"name": "nightly sync", "scopes": ["read", "write"], "days": 30}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert token.startswith(f"zt_{body['prefix']}_")
    row = Credential.objects.get()
    assert (row.kind, row.owner, row.name, row.scopes) == (
        "api_token",
        world.xihu_clerk,
        "nightly sync",
        ["read", "write"],
    )
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    expected_expiry = timezone.now() + dt.timedelta(days=30)
    assert abs((row.expires_at - expected_expiry).total_seconds()) < 60
    # Only the digest is stored: the token appears in no column.
    stored = {f.attname: getattr(row, f.attname) for f in Credential._meta.concrete_fields}
    assert all(token not in str(value) for value in stored.values())
    # The list shows the token's metadata, never the token again.
    listing = client.get("/api/v1/me/tokens")
    assert [t["name"] for t in listing.json()] == ["nightly sync"]
    assert token not in listing.content.decode()
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "accounts.token.create"
    assert token not in json.dumps(event.after)


def test_bearer_token_authenticates_get(world):
    _row, token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read"])
    response = Client().get("/api/v1/me", **bearer(token))
    assert response.status_code == 200
    assert response.json()["username"] == "xihu_clerk"
    assert Credential.objects.get().last_used_at is not None


def test_read_only_token_cannot_write(world):
    _row, token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read"])
    events = AuditEvent.objects.count()
    response = Client().post(
        "/api/v1/me/tokens", data=json.dumps({"name": "x"}), content_type="application/json", **bearer(token)
    )
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "insufficient_scope",
        "message": "this token has no “write” scope",
        "details": {},
    }
    assert Credential.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_write_token_can_write_without_csrf(world):
    _row, token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read", "write"])
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/me/tokens",
        data=json.dumps({"name": "child"}),
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 201
    assert Credential.objects.count() == 2


@pytest.mark.parametrize("how", ["revoked", "expired", "disabled", "tampered", "unknown", "malformed"])
def test_unusable_tokens_are_401(world, how):
    row, token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read"])
    if how == "revoked":
        services.api_token_revoke(actor=world.xihu_clerk, token=row)
    elif how == "expired":
        Credential.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif how == "disabled":
        type(world.xihu_clerk).objects.filter(pk=world.xihu_clerk.pk).update(is_active=False)
    elif how == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif how == "unknown":
        token = "zt_00000000_" + "x" * 43
    else:
        token = "not-a-token"
    response = Client().get("/api/v1/me", **bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_revoked_and_expired_messages(world):
    row, token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read"])
    services.api_token_revoke(actor=world.xihu_clerk, token=row)
    with pytest.raises(AuthenticationRequired) as exc:
        services.api_token_authenticate(token, method="GET")
    assert (exc.value.code, exc.value.message) == ("invalid_token", "the API token was revoked")
    row2, token2 = services.api_token_create(actor=world.xihu_clerk, name="t2", scopes=["read"])
    Credential.objects.filter(pk=row2.pk).update(expires_at=timezone.now())
    with pytest.raises(AuthenticationRequired) as exc:
        services.api_token_authenticate(token2, method="GET")
    assert exc.value.message == "the API token has expired"


def test_revoke_through_the_api(world):
    row, token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read", "write"])
    client = Client()
    client.force_login(world.xihu_clerk, backend=MODEL_BACKEND)
    assert client.delete(f"/api/v1/me/tokens/{row.pk}").status_code == 204
    assert Credential.objects.get(pk=row.pk).revoked_at is not None
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 401


def test_cannot_revoke_someone_elses_token(world):
    row, _token = services.api_token_create(actor=world.xihu_clerk, name="t", scopes=["read"])
    client = Client()
    client.force_login(world.yiwu_clerk, backend=MODEL_BACKEND)
    assert client.delete(f"/api/v1/me/tokens/{row.pk}").status_code == 404
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=world.yiwu_clerk, token=row)
    assert Credential.objects.get(pk=row.pk).revoked_at is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " ", "scopes": ["read"]}, "name"),
        ({"name": "t", "scopes": []}, "scopes"),
        ({"name": "t", "scopes": ["admin"]}, "scopes"),
        ({"name": "t", "scopes": ["read"], "days": 400}, "days"),
    ],
)
def test_create_rules(world, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.api_token_create(actor=world.xihu_clerk, **kwargs)
    assert list(exc.value.fields) == [field]
    assert Credential.objects.count() == 0
