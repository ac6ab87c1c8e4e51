"""Signed exchange receipts: canonical JSON, signed ES256 by the platform's receipt key.

A receipt is ``{"payload": {...}, "alg": "ES256", "kid": "...", "signature": "<b64url r||s>"}``.
The signature covers ``canonical(payload)``: UTF-8 JSON with sorted keys, no spaces, non-ASCII
kept. Anyone holding the key (``/seals/keys.json``, a JWKS) can verify it offline with
``cryptography`` alone (``scripts/verify_receipt.py``, docs/sharing.md). The keys are the seals
module's (one key mechanism for the whole platform).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from zhengtong.seals import services as seals

PURPOSE = "sharing.receipt"


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def body_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical form of a request or response body."""
    return hashlib.sha256(canonical(value)).hexdigest()


def sign(payload: dict) -> dict:
    signature = seals.sign_bytes(purpose=PURPOSE, payload=canonical(payload), via="sharing")
    return {
        "payload": payload,
        "alg": signature.alg,
        "kid": signature.kid,
        "signature": signature.value_b64url,
    }


def verify(receipt: dict) -> bool:
    """Whether ``receipt`` carries a valid signature by one of this platform's keys."""
    try:
        return bool(
            seals.verify_bytes(
                kid=str(receipt["kid"]),
                payload=canonical(receipt["payload"]),
                signature_b64url=str(receipt["signature"]),
            )
        )
    except (KeyError, TypeError, ValueError):
        return False


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_with_jwks(receipt: dict, jwks: dict) -> bool:
    """Whether ``receipt`` is signed by a key of ``jwks`` (another installation's published
    keys, from the trust list): ES256 over the canonical payload."""
    try:
        if receipt.get("alg") != "ES256":
            return False
        key = next(
            k for k in jwks.get("keys", []) if k.get("kid") == receipt["kid"] and k.get("crv") == "P-256"
        )
        x, y = (int.from_bytes(_b64url(key[c]), "big") for c in ("x", "y"))
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        raw = _b64url(str(receipt["signature"]))
        if len(raw) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, canonical(receipt["payload"]), ec.ECDSA(hashes.SHA256()))
        return True
    except (StopIteration, KeyError, TypeError, ValueError, AttributeError, InvalidSignature):
        return False
