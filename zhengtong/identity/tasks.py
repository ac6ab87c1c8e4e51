"""Background tasks of the identity centre: key rotation and retirement, expired rows."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from zhengtong.identity import keys, services
from zhengtong.identity.models import AuthorizationCode, Token


@task()
def keys_task() -> dict:
    """Rotate the signing keys when due; drop retiring keys whose tokens have all expired."""
    rotated = services.keys_rotate(actor=None, via="identity") if keys.rotation_due() else []
    return {"rotated": rotated, "retired": keys.retire_expired()}


@task()
def purge_task() -> dict:
    """Delete codes an hour after they expire and tokens a day after they (and their refresh
    tokens) expire: the audit trail keeps what was issued."""
    now = timezone.now()
    codes, _ = AuthorizationCode.objects.filter(
        expires_at__lt=now - timedelta(hours=1), tokens__isnull=True
    ).delete()
    tokens = Token.objects.filter(expires_at__lt=now - timedelta(days=1))
    tokens = tokens.exclude(refresh_expires_at__gt=now - timedelta(days=1))
    deleted, _ = tokens.delete()
    return {"codes": codes, "tokens": deleted}
