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
