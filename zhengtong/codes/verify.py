"""The verification pipeline: one precise reason, never an exception.

Pure (no Django): ``verify(text, store=...)`` with a ``TrustStore`` built from the database
(services.trust_store) or from a trust-list file (the offline CLI).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from zhengtong.codes import cose

REASONS = (
    "ok",
    "bad_prefix",
    "bad_base45",
    "zlib_bomb",
    "bad_zlib",
    "bad_cbor",
    "bad_structure",
    "unknown_kid",
    "untrusted_region",
    "revoked_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "wrong_purpose",
)
CLOCK_SKEW_SECONDS = 300


@dataclass(frozen=True, slots=True)
class KeyEntry:
    kid: bytes
    region: str
    public_key: ec.EllipticCurvePublicKey
    status: str = "active"  # active | retired | revoked
    trusted: bool = True


@dataclass
class TrustStore:
    by_kid: dict[bytes, list[KeyEntry]] = field(default_factory=dict)

    def add(self, entry: KeyEntry) -> None:
        self.by_kid.setdefault(entry.kid, []).append(entry)

    @classmethod
    def from_documents(cls, documents: list[dict]) -> TrustStore:
        """From trust-list documents (their signatures checked by the caller)."""
        import base64

        store = cls()
        for doc in documents:
            for key in doc.get("keys", []):
                store.add(
                    KeyEntry(
                        kid=bytes.fromhex(key["kid"]),
                        region=key["region"],
                        public_key=load_der_public_key(base64.b64decode(key["public_key_der"])),
                        status=key.get("status", "active"),
                    )
                )
        return store


@dataclass(frozen=True, slots=True)
class Result:
    valid: bool
    reason: str
    detail: str = ""
    colour: str | None = None
    purpose: str | None = None
    region: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None

    def as_dict(self) -> dict:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "detail": self.detail,
            "colour": self.colour,
            "purpose": self.purpose,
            "region": self.region,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
        }


def _fail(reason: str, detail: str = "", claims: cose.Claims | None = None) -> Result:
    if claims is None:
        return Result(False, reason, detail)
    return Result(
        False, reason, detail, None, claims.purpose, claims.region, claims.issued_at, claims.expires_at
    )


def verify(
    text: str,
    *,
    store: TrustStore,
    purpose: str | None = None,
    now: float | None = None,
    max_bytes: int = 4096,
    prefix: str = cose.PREFIX,
) -> Result:
    """prefix → Base45 → zlib (capped) → CBOR → structure → kid → trust → ES256 → time → purpose."""
    try:
        return _verify(text, store, purpose, now, max_bytes, prefix)
    except Exception as exc:  # defence in depth: a verifier never crashes on input
        return Result(False, "bad_structure", type(exc).__name__)


def _verify(text, store, purpose, now, max_bytes, prefix) -> Result:
    try:
        decoded = cose.decode_code(text, max_bytes=max_bytes, prefix=prefix)
    except cose.DecodeError as exc:
        return _fail(exc.reason, exc.detail)
    claims = decoded.claims
    candidates = store.by_kid.get(decoded.kid)
    if not candidates:
        return _fail("unknown_kid", decoded.kid.hex())
    trusted = [k for k in candidates if k.trusted]
    if not trusted:
        return _fail("untrusted_region", candidates[0].region)
    usable = [k for k in trusted if k.status != "revoked"]
    if not usable:
        return _fail("revoked_key", decoded.kid.hex())
    message = decoded.sig_structure()
    signer = next((k for k in usable if cose.verify_es256(k.public_key, message, decoded.signature)), None)
    if signer is None:
        return _fail("bad_signature")
    if signer.region != claims.region:
        return _fail("untrusted_region", f"key of {signer.region} signed a code of {claims.region}", claims)
    clock = time.time() if now is None else now
    if claims.expires_at <= clock:
        return _fail("expired", "", claims)
    if claims.issued_at > clock + CLOCK_SKEW_SECONDS:
        return _fail("not_yet_valid", "", claims)
    if purpose is not None and claims.purpose != purpose:
        return _fail("wrong_purpose", f"code is for {claims.purpose}", claims)
    return Result(
        True, "ok", "", claims.colour, claims.purpose, claims.region, claims.issued_at, claims.expires_at
    )
