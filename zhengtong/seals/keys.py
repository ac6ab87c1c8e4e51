"""The seal key store: one active ES256 key per department seal and per statement purpose.

Key material is handled by ``core.keys`` (the one mechanism for ES256 keys); this module only keeps
the rows: a key is created on first use, rotation retires the old key (what it signed keeps
verifying) and activates a new one.
"""

from __future__ import annotations

import re

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhengtong.core import cache
from zhengtong.core import keys as core_keys
from zhengtong.seals.models import SEAL, SealKey

CACHE_NAMESPACE = "seals.keys"
_STORE = "seals"
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def _passphrase() -> bytes:
    return core_keys.passphrase(settings.SEALS_KEY_PASSPHRASE, "zhengtong.seals.keys")


def check_purpose(purpose: str) -> str:
    if not isinstance(purpose, str) or not _PURPOSE.match(purpose) or len(purpose) > 40 or purpose == SEAL:
        raise ValueError(f"not a statement purpose: {purpose!r}")
    return purpose


def _owner(department_id: int | None) -> str:
    return "" if department_id is None else str(department_id)


def _create(purpose: str, department_id: int | None) -> SealKey:
    private = core_keys.generate()
    return SealKey.objects.create(
        kid=core_keys.kid_for(private.public_key()).hex(),
        purpose=purpose,
        department_id=department_id,
        owner=_owner(department_id),
        public_der=core_keys.public_key_der(private.public_key()),
        private_encrypted=core_keys.encrypt_private(private, _passphrase()),
    )


def active_key(purpose: str, department_id: int | None) -> SealKey:
    """The active key for the purpose (and department), created on first use."""
    key = SealKey.objects.filter(
        purpose=purpose, department_id=department_id, status=SealKey.Status.ACTIVE
    ).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            key = _create(purpose, department_id)
    except IntegrityError:  # another process created it first: use theirs
        return SealKey.objects.get(purpose=purpose, department_id=department_id, status=SealKey.Status.ACTIVE)
    transaction.on_commit(lambda: cache.invalidate(CACHE_NAMESPACE))
    return key


def rotate(purpose: str, department_id: int | None) -> tuple[SealKey | None, SealKey]:
    """Retire the active key (if any) and create a new one; returns (old, new)."""
    with transaction.atomic():
        old = (
            SealKey.objects.select_for_update()
            .filter(purpose=purpose, department_id=department_id, status=SealKey.Status.ACTIVE)
            .first()
        )
        if old is not None:
            old.status = SealKey.Status.RETIRED
            old.retired_at = timezone.now()
            old.save(update_fields=["status", "retired_at"])
        new = _create(purpose, department_id)
    transaction.on_commit(lambda: cache.invalidate(CACHE_NAMESPACE))
    return old, new


def private_key(key: SealKey) -> ec.EllipticCurvePrivateKey:
    return core_keys.load_private(_STORE, key.kid, key.private_encrypted, _passphrase())


def public_key(key: SealKey) -> ec.EllipticCurvePublicKey:
    return core_keys.load_public(key.public_der)
