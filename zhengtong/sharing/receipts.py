"""Signed exchange receipts: canonical JSON, signed ES256 by the platform's receipt key.

A receipt is ``{"payload": {...}, "alg": "ES256", "kid": "...", "signature": "<b64url r||s>"}``.
The signature covers ``canonical(payload)``: UTF-8 JSON with sorted keys, no spaces, non-ASCII
kept. Anyone holding the key (``/seals/keys.json``, a JWKS) can verify it offline with
``cryptography`` alone (``scripts/verify_receipt.py``, docs/sharing.md). The keys are the seals
module's (one key mechanism for the whole platform).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from zhengtong.core import keys as core_keys
from zhengtong.seals import services as seals

PURPOSE = "sharing.receipt"


# One encoder for every call (``json.dumps`` with options builds a new one each time).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical(value: Any) -> bytes:
    return _CANONICAL.encode(value).encode()


def body_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical form of a request or response body."""
    return hashlib.sha256(canonical(value)).hexdigest()


def sign(payload: dict, *, purpose: str = PURPOSE) -> dict:
    """``payload`` signed with the installation's key for ``purpose`` (receipts; the signed
    messages between installations use ``sharing.peer``, with the same shape)."""
    signature = seals.sign_bytes(purpose=purpose, payload=canonical(payload), via="sharing")
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


def verify_with_jwks(receipt: dict, jwks: dict, *, purpose: str = "") -> bool:
    """Whether ``receipt`` is signed by a key of ``jwks`` (another installation's published
    keys, from the trust list): ES256 over the canonical payload. ``purpose``: only a key
    published for it (``zt_purpose``), so a receipt cannot pass for a signed message."""
    try:
        if receipt.get("alg") != "ES256":
            return False
        jwk = next(
            k
            for k in jwks.get("keys", [])
            if k.get("kid") == receipt["kid"]
            and k.get("crv") == "P-256"
            and (not purpose or k.get("zt_purpose") == purpose)
        )
        public = core_keys.public_key_from_jwk(jwk)
        signature = core_keys.b64url_decode(str(receipt["signature"]))
        return core_keys.verify_es256(public, canonical(receipt["payload"]), signature)
    except (StopIteration, KeyError, TypeError, ValueError, AttributeError):
        return False
