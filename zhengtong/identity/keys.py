"""The provider's signing keys: one active ES256 and one active RS256 key, published with the
retiring ones as the JWKS, rotated without breaking live tokens.

Rotation makes new active keys and moves the old ones to ``retiring``: they sign nothing new but
stay in the JWKS until every ID or access token they signed has expired (the longer of the two
lifetimes, plus a minute), then ``retire_expired`` drops them. Private keys are kept as PKCS#8 PEM
encrypted with ``IDENTITY_KEY_PASSPHRASE`` (or a passphrase derived from ``SECRET_KEY``); ``kid`` is
the RFC 7638 thumbprint. Parsed keys are kept per process through ``core.cache`` (namespace
``identity.keys``, invalidated on rotation, so other processes see a rotation within seconds).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from joserfc.jwk import ECKey, KeySet, RSAKey

from zhengtong.core import cache
from zhengtong.identity.models import SigningKey

ALGS = ("ES256", "RS256")
CACHE = "identity.keys"
CACHE_SECONDS = 300


def _passphrase() -> bytes:
    if settings.IDENTITY_KEY_PASSPHRASE:
        return settings.IDENTITY_KEY_PASSPHRASE.encode()
    return (
        hmac.new(settings.SECRET_KEY.encode(), b"zhengtong.identity.keys", hashlib.sha256)
        .hexdigest()
        .encode()
    )


def _generate(alg: str) -> ECKey | RSAKey:
    if alg == "ES256":
        return ECKey.generate_key("P-256")
    return RSAKey.generate_key(2048)


def key_create(alg: str) -> SigningKey:
    """A new active key of ``alg`` (the caller retires the one it replaces)."""
    if alg not in ALGS:
        raise ValueError(f"unsupported algorithm {alg}")
    key = _generate(alg)
    kid = key.thumbprint()
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    row = SigningKey.objects.create(kid=kid, alg=alg, private_encrypted=pem, public_jwk=public)
    _invalidate()
    return row


def _invalidate() -> None:
    # Now (this transaction reads its own change) and after the commit (another process may have
    # cached the old set in between).
    cache.invalidate(CACHE)
    transaction.on_commit(lambda: cache.invalidate(CACHE))


def _load_private(row: SigningKey) -> ECKey | RSAKey:
    private = serialization.load_pem_private_key(bytes(row.private_encrypted), _passphrase())
    cls = ECKey if row.alg == "ES256" else RSAKey
    return cls.import_key(private, {"kid": row.kid, "alg": row.alg, "use": "sig"})


def _active_row(alg: str) -> SigningKey:
    row = SigningKey.objects.filter(alg=alg, status=SigningKey.Status.ACTIVE).order_by("-created_at").first()
    if row is None:
        with transaction.atomic():
            row = key_create(alg)
    return row


def signing_key(alg: str) -> ECKey | RSAKey:
    """The active private key of ``alg`` (created on first use), with its ``kid``."""
    return cache.cached(
        CACHE,
        f"private:{alg}",
        lambda: _load_private(_active_row(alg)),
        CACHE_SECONDS,
        local=True,
        shared=False,
    )


def _published() -> list[dict]:
    active = set(SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).values_list("alg", flat=True))
    for alg in ALGS:
        if alg not in active:
            _active_row(alg)
    rows = SigningKey.objects.exclude(status=SigningKey.Status.RETIRED).order_by("alg", "-created_at")
    return [row.public_jwk for row in rows]


def public_jwks() -> dict:
    """The JWKS document: every active and retiring public key."""
    return {"keys": cache.cached(CACHE, "jwks", _published, CACHE_SECONDS, local=True)}


def verification_keys() -> KeySet:
    """The active and retiring public keys, parsed, for verifying our own tokens."""
    return cache.cached(
        CACHE,
        "keyset",
        lambda: KeySet.import_key_set({"keys": _published()}),
        CACHE_SECONDS,
        local=True,
        shared=False,
    )


def max_token_seconds() -> int:
    return max(settings.IDENTITY_ACCESS_TOKEN_SECONDS, settings.IDENTITY_ID_TOKEN_SECONDS) + 60


@transaction.atomic
def rotate() -> list[SigningKey]:
    """New active keys for every algorithm; the old active ones become retiring (still published)."""
    now = timezone.now()
    SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).update(
        status=SigningKey.Status.RETIRING, retiring_at=now
    )
    return [key_create(alg) for alg in ALGS]


@transaction.atomic
def retire_expired(*, now=None) -> int:
    """Drop from the JWKS the retiring keys whose last tokens have expired; returns how many."""
    now = now or timezone.now()
    done = SigningKey.objects.filter(
        status=SigningKey.Status.RETIRING, retiring_at__lt=now - timedelta(seconds=max_token_seconds())
    ).update(status=SigningKey.Status.RETIRED)
    if done:
        _invalidate()
    return done


def rotation_due(*, now=None) -> bool:
    now = now or timezone.now()
    newest = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).order_by("created_at").first()
    return newest is not None and newest.created_at < now - timedelta(
        days=settings.IDENTITY_KEY_ROTATION_DAYS
    )
