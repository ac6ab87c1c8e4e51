"""ES256 key material: the one place that creates, encrypts, loads, signs and verifies with P-256 keys.

Every module that keeps signing keys (the codes module's code and trust-list keys, the seals module's
department seals and exchange-receipt keys) stores them in its own table but handles the key material
here: private keys as PKCS#8 PEM encrypted with a passphrase (``passphrase()``), ``kid`` as the first
8 bytes of SHA-256 over the public key's DER, signatures as raw ``r || s`` (64 bytes, JOSE and COSE).
Secrets this installation must present to others (another installation's sharing key) are kept
encrypted with ``seal_text`` / ``open_text`` (AES-GCM under a key from the same ``passphrase()``).
Pure functions apart from the settings read by ``passphrase``; no models.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
_ECDSA = ec.ECDSA(hashes.SHA256())
_private_cache: dict[tuple[str, str], ec.EllipticCurvePrivateKey] = {}
_cache_lock = threading.Lock()


def passphrase(configured: str, label: str) -> bytes:
    """The passphrase for one key store: the configured one, or one derived from ``SECRET_KEY`` and ``label``."""
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), label.encode(), hashlib.sha256).hexdigest().encode()


def generate(seed: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key; deterministic from ``seed`` (demo installations), random otherwise."""
    if seed is None:
        return ec.generate_private_key(ec.SECP256R1())
    scalar = int.from_bytes(hashlib.sha256(b"zhengtong-demo-key\x00" + seed).digest(), "big") % (
        _P256_ORDER - 1
    )
    return ec.derive_private_key(scalar + 1, ec.SECP256R1())


def encrypt_private(key: ec.EllipticCurvePrivateKey, secret: bytes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )


def load_private(store: str, kid: str, encrypted_pem: bytes, secret: bytes) -> ec.EllipticCurvePrivateKey:
    """Decrypt a stored private key once per process (decryption costs milliseconds; signing is hot)."""
    cached = _private_cache.get((store, kid))
    if cached is None:
        cached = serialization.load_pem_private_key(bytes(encrypted_pem), secret)
        with _cache_lock:
            _private_cache[(store, kid)] = cached
    return cached


def load_public(der: bytes) -> ec.EllipticCurvePublicKey:
    return serialization.load_der_public_key(bytes(der))


def public_key_from_jwk(jwk: dict) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of a JWK (``ValueError`` for anything else). Kept per process: loading
    a point costs about as much as a fifth of a verification, and the same few published keys
    verify every receipt or code."""
    if jwk.get("kty", "EC") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("not a P-256 JWK")
    return _public_key_xy(str(jwk.get("x", "")), str(jwk.get("y", "")))


@lru_cache(maxsize=256)
def _public_key_xy(x: str, y: str) -> ec.EllipticCurvePublicKey:
    xb, yb = b64url_decode(x), b64url_decode(y)
    if len(xb) != 32 or len(yb) != 32:
        raise ValueError("not a P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + xb + yb)


def public_key_der(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def kid_for(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(public_key_der(public_key)).digest()[:8]


def sign_es256(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """ES256 as JOSE and COSE want it: raw r||s, 64 bytes."""
    r, s = decode_dss_signature(private_key.sign(message, _ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_es256(public_key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, message, _ECDSA)
    except (InvalidSignature, ValueError):
        return False
    return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; ``ValueError`` on anything else."""
    if not isinstance(text, str) or not text or len(text) > 4096:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


def public_key_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict:
    """The public key as a JWK (RFC 7517) with the given key id."""
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "alg": "ES256",
        "use": "sig",
        "kid": kid,
    }


def _text_cipher(configured: str, label: str) -> AESGCM:
    return AESGCM(hashlib.sha256(passphrase(configured, label)).digest())


def seal_text(plain: str, *, label: str, configured: str = "") -> str:
    """``plain`` encrypted (AES-GCM, a fresh nonce, ``label`` as associated data) under a key
    from ``passphrase(configured, label)``: a secret we hold for calling someone else, stored."""
    nonce = os.urandom(12)
    sealed = nonce + _text_cipher(configured, label).encrypt(nonce, plain.encode(), label.encode())
    return b64url(sealed)


def open_text(sealed: str, *, label: str, configured: str = "") -> str | None:
    """The text ``seal_text`` sealed, or None when it does not decrypt (other key or label, altered)."""
    try:
        raw = b64url_decode(sealed)
        return _text_cipher(configured, label).decrypt(raw[:12], raw[12:], label.encode()).decode()
    except (InvalidTag, ValueError):
        return None
