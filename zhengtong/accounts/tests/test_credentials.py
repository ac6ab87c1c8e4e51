"""The one credential mechanism (accounts.credentials): every kind is created, rotated, revoked
and authenticated the same way, and secrets keep their kind's text (zt_, ztd_, o311_)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from zhengtong.accounts import credentials
from zhengtong.accounts.models import Credential, CredentialKind
from zhengtong.audit.models import AuditEvent

KINDS = [
    (CredentialKind.API_TOKEN, "zt_"),
    (CredentialKind.DATA_API_KEY, "ztd_"),
    (CredentialKind.OPEN311_KEY, "o311_"),
]


def create(world, kind, **kw):
    return credentials.credential_create(
        actor=world.xihu_clerk,
        kind=kind,
        name=kw.pop("name", "client"),
        owner=kw.pop("owner", world.xihu_clerk),
        audit_action="accounts.token.create",
        **kw,
    )


@pytest.mark.parametrize(("kind", "text"), KINDS)
def test_create_stores_a_digest_and_authenticates_by_kind(world, kind, text):
    row, secret = create(world, kind, scopes=["read"], rate_limit_per_minute=7)
    assert secret.startswith(f"{text}{row.prefix}_")
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(getattr(row, f.attname)) for f in Credential._meta.concrete_fields)
    found = credentials.credential_authenticate(secret, kind=kind)
    assert found == row and found.rate_limit_per_minute == 7 and found.scopes == ["read"]
    assert found.last_used_at is not None
    # A secret is only valid for its own kind.
    other = next(k for k, _t in KINDS if k != kind)
    assert credentials.credential_authenticate(secret, kind=other) is None
    event = AuditEvent.objects.filter(action="accounts.token.create").latest("id")
    assert event.after == {"kind": kind.value, "name": "client", "prefix": row.prefix}


def test_secrets_issued_before_the_merge_still_authenticate(world):
    # The demo Open311 key and the keys copied by the migrations keep their digest and prefix.
    raw = "o311_demo_zhengtong-open311-demo-key"
    row = Credential.objects.create(
        kind=CredentialKind.OPEN311_KEY,
        name="old",
        prefix="demo",
        digest=hashlib.sha256(raw.encode()).hexdigest(),
        org_unit=world.xihu,
    )
    assert credentials.credential_authenticate(raw, kind=CredentialKind.OPEN311_KEY) == row
    assert credentials.credential_authenticate(raw + "x", kind=CredentialKind.OPEN311_KEY) is None


@pytest.mark.parametrize("raw", ["", "zt_", "zt__x", "zt_abc", "ztd_abc_x", "zt_" + "a" * 300])
def test_malformed_and_unknown_secrets_are_refused(world, raw):
    create(world, CredentialKind.API_TOKEN)
    assert credentials.credential_authenticate(raw, kind=CredentialKind.API_TOKEN) is None


def test_revoked_expired_and_disabled_are_refused(world):
    row, secret = create(world, CredentialKind.API_TOKEN)
    kind = CredentialKind.API_TOKEN
    Credential.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert credentials.credential_authenticate(secret, kind=kind) is None
    assert credentials.credential_refusal(credentials.credential_lookup(secret, kind=kind)) == "expired"
    Credential.objects.filter(pk=row.pk).update(expires_at=None)
    world.xihu_clerk.is_active = False
    world.xihu_clerk.save(update_fields=["is_active"])
    assert credentials.credential_authenticate(secret, kind=kind) is None
    world.xihu_clerk.is_active = True
    world.xihu_clerk.save(update_fields=["is_active"])
    assert credentials.credential_authenticate(secret, kind=kind) == row
    credentials.credential_revoke(
        actor=world.xihu_clerk, credential=row, audit_action="accounts.token.revoke"
    )
    assert credentials.credential_authenticate(secret, kind=kind) is None
    assert AuditEvent.objects.filter(action="accounts.token.revoke").count() == 1
    # Revoking again changes and records nothing.
    revoked_at = Credential.objects.get(pk=row.pk).revoked_at
    credentials.credential_revoke(
        actor=world.xihu_clerk, credential=row, audit_action="accounts.token.revoke"
    )
    assert Credential.objects.get(pk=row.pk).revoked_at == revoked_at
    assert AuditEvent.objects.filter(action="accounts.token.revoke").count() == 1


def test_rotate_replaces_the_secret_and_keeps_the_rest(world):
    row, old = create(
        world,
        CredentialKind.DATA_API_KEY,
        name="app",
        rate_limit_per_minute=90,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    new, secret = credentials.credential_rotate(
        actor=world.xihu_clerk, credential=row, audit_action="accounts.token.create"
    )
    kind = CredentialKind.DATA_API_KEY
    assert credentials.credential_authenticate(old, kind=kind) is None
    assert credentials.credential_authenticate(secret, kind=kind) == new
    assert (new.kind, new.owner, new.name, new.rate_limit_per_minute) == (kind, world.xihu_clerk, "app", 90)
    assert new.prefix != row.prefix and Credential.objects.get(pk=row.pk).revoked_at is not None
    assert abs((new.expires_at - timezone.now() - dt.timedelta(days=30)).total_seconds()) < 60
    event = AuditEvent.objects.filter(action="accounts.token.create").latest("id")
    assert event.after["replaces"] == row.prefix
    with pytest.raises(ValueError):
        credentials.credential_rotate(actor=world.xihu_clerk, credential=row, audit_action="x")
