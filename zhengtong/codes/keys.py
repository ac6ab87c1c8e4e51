"""Signing keys: creation (random or deterministic for demos), rotation, revocation.

Private keys are kept as PKCS#8 PEM encrypted with ``CODES_KEY_PASSPHRASE`` (or a passphrase
derived from ``SECRET_KEY``); ``kid`` is the first 8 bytes of SHA-256 over the public key's DER.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.codes import cose
from zhengtong.codes.errors import CodesError
from zhengtong.codes.models import SigningKey
from zhengtong.core import keys as core_keys
from zhengtong.core.errors import Conflict, ValidationError

_STORE = "codes"


def _passphrase() -> bytes:
    return core_keys.passphrase(settings.CODES_KEY_PASSPHRASE, "zhengtong.codes.keys")


def generate(seed: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key; deterministic from ``seed`` (demo regions), random otherwise."""
    return core_keys.generate(seed)


def encrypt_private(key: ec.EllipticCurvePrivateKey) -> bytes:
    return core_keys.encrypt_private(key, _passphrase())


def private_key(key: SigningKey) -> ec.EllipticCurvePrivateKey:
    return core_keys.load_private(_STORE, key.kid, key.private_encrypted, _passphrase())


def public_key(key) -> ec.EllipticCurvePublicKey:
    return core_keys.load_public(key.public_der)


def _store(*, actor, role: str, seed: bytes | None, region_code: str | None = None) -> SigningKey:
    priv = generate(seed)
    kid = cose.kid_for(priv.public_key()).hex()
    existing = SigningKey.objects.filter(kid=kid).first()
    if existing is not None:
        return existing
    key = SigningKey.objects.create(
        kid=kid,
        role=role,
        region_code=region_code or settings.CODES_REGION_CODE,
        public_der=cose.public_key_der(priv.public_key()),
        private_encrypted=encrypt_private(priv),
    )
    audit.record(actor=actor, action="codes.key_create", target=key, after={"kid": kid, "role": role})
    return key


def active_key(role: str = SigningKey.Role.CODE) -> SigningKey | None:
    return (
        SigningKey.objects.filter(role=role, status=SigningKey.Status.ACTIVE)
        .order_by("-created_at", "-id")
        .first()
    )


def ensure_keys(*, actor, seed: bytes | None = None) -> tuple[SigningKey, SigningKey]:
    """This installation's active code-signing key and trust-list anchor key (created if missing)."""
    with transaction.atomic():
        code_key = active_key() or _store(
            actor=actor, role=SigningKey.Role.CODE, seed=None if seed is None else seed + b"/code/1"
        )
        anchor = active_key(SigningKey.Role.ANCHOR) or _store(
            actor=actor, role=SigningKey.Role.ANCHOR, seed=None if seed is None else seed + b"/anchor"
        )
    return code_key, anchor


def rotate(*, actor, seed: bytes | None = None) -> SigningKey:
    """A new active code-signing key; the old one is retired (its codes verify until they expire)."""
    with transaction.atomic():
        old = active_key()
        new = _store(actor=actor, role=SigningKey.Role.CODE, seed=seed)
        if old is not None and old.pk != new.pk:
            SigningKey.objects.filter(pk=old.pk).update(
                status=SigningKey.Status.RETIRED, retired_at=timezone.now()
            )
            audit.record(actor=actor, action="codes.key_retire", target=old, after={"kid": old.kid})
    return new


def revoke(*, actor, key: SigningKey, reason: str) -> SigningKey:
    """Revoke a key at once: codes it signed stop verifying everywhere the new trust list reaches."""
    if not reason.strip():
        raise ValidationError.for_field("reason", _("a reason is required to revoke a key"))
    if key.status == SigningKey.Status.REVOKED:
        raise Conflict(_("this key is already revoked"), code=CodesError.ALREADY_REVOKED)
    with transaction.atomic():
        was_active = key.status == SigningKey.Status.ACTIVE
        key.status = SigningKey.Status.REVOKED
        key.revoked_at = timezone.now()
        key.revoke_reason = reason.strip()[:200]
        key.save(update_fields=["status", "revoked_at", "revoke_reason"])
        audit.record(actor=actor, action="codes.key_revoke", target=key, after={"kid": key.kid}, note=reason)
        if was_active and key.role == SigningKey.Role.CODE:
            rotate(actor=actor)
    return key
