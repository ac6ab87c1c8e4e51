"""The code's wire format: CWT claims in a COSE_Sign1 (ES256), zlib, Base45, a versioned prefix.

Pure functions (no Django): ``encode_code`` for issuance and ``decode_code`` for the structural
steps of verification. The payload is minimal by design:

    {1: iss (issuing region code), 2: sub (pseudonymous subject id), 4: exp, 6: iat,
     -65537: {"p": purpose, "c": colour}}
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from zhengtong.core import keys
from zhengtong.core.keys import kid_for, public_key_der, sign_es256, verify_es256  # noqa: F401 (the wire format's names)

PREFIX = "ZT1:"
ALG_ES256 = -7
CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_IAT = 1, 2, 4, 6
CLAIM_ZT = -65537
COSE_SIGN1_TAG = 18
COLOUR_CODES = {"green": "g", "yellow": "y", "red": "r"}
COLOURS_BY_CODE = {v: k for k, v in COLOUR_CODES.items()}
_SIGN1_CONTEXT = "Signature1"


class DecodeError(Exception):
    """A structural failure; ``reason`` is one of the verification reason codes."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Claims:
    region: str
    subject: str
    purpose: str
    colour: str
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class Decoded:
    kid: bytes
    alg: int
    protected: bytes
    payload: bytes
    signature: bytes
    claims: Claims

    def sig_structure(self) -> bytes:
        return cbor2.dumps([_SIGN1_CONTEXT, self.protected, b"", self.payload])


def encode_claims(claims: Claims) -> bytes:
    return cbor2.dumps(
        {
            CLAIM_ISS: claims.region,
            CLAIM_SUB: claims.subject,
            CLAIM_EXP: claims.expires_at,
            CLAIM_IAT: claims.issued_at,
            CLAIM_ZT: {"p": claims.purpose, "c": COLOUR_CODES[claims.colour]},
        }
    )


def _bstr(data: bytes) -> bytes:
    """A CBOR byte string (major type 2) with its length header."""
    size = len(data)
    if size < 24:
        return bytes([0x40 | size]) + data
    if size < 256:
        return bytes([0x58, size]) + data
    return bytes([0x59]) + size.to_bytes(2, "big") + data


_SIGN1_PREFIX = b"\x84" + cbor2.dumps(_SIGN1_CONTEXT)  # ["Signature1", ...
_protected_cache: dict[bytes, bytes] = {}


def encode_code(
    claims: Claims, private_key: ec.EllipticCurvePrivateKey, kid: bytes, *, prefix: str = PREFIX
) -> str:
    """Sign the claims and return the QR text (prefix + Base45(zlib(COSE_Sign1)))."""
    return encode_code_with(claims, lambda message: sign_es256(private_key, message), kid, prefix=prefix)


def encode_code_with(
    claims: Claims, sign: Callable[[bytes], bytes], kid: bytes, *, prefix: str = PREFIX
) -> str:
    """``encode_code`` with the signature made by ``sign`` (raw ``r || s`` over the COSE
    Sig_structure): for keys held elsewhere, e.g. a statement key of the seals module (the
    services module's 亮证 codes, prefix ``ZTL1:``)."""
    protected = _protected_cache.get(kid)
    if protected is None:
        protected = _protected_cache.setdefault(kid, _bstr(cbor2.dumps({1: ALG_ES256, 4: kid})))
    payload = _bstr(encode_claims(claims))
    signature = sign(_SIGN1_PREFIX + protected + b"\x40" + payload)
    # tag 18, array of 4: protected, unprotected {}, payload, signature (same bytes cbor2 writes)
    message = b"\xd2\x84" + protected + b"\xa0" + payload + _bstr(signature)
    return prefix + b45encode(_compress(message))


_B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_TRIPLES: dict[str, bytes] = {}
_B45_PAIRS: dict[str, bytes] = {}


_B45_ENC2: list[str] = []
_B45_ENC1: list[str] = []


def b45encode(data: bytes) -> str:
    """Base45 (RFC 9285) encoding by table look-up (the same output as ``base45.b45encode``)."""
    if not _B45_ENC2:
        _b45_tables()
    size = len(data)
    full = size - size % 2
    text = "".join(map(_B45_ENC2.__getitem__, struct.unpack(f">{full // 2}H", data[:full])))
    return text + _B45_ENC1[data[-1]] if size % 2 else text


def _b45_tables() -> None:
    a = _B45_ALPHABET
    for value in range(65536):
        c, rest = divmod(value, 45 * 45)
        b, e = divmod(rest, 45)
        _B45_ENC2.append(a[e] + a[b] + a[c])
    for value in range(256):
        d, c = divmod(value, 45)
        _B45_ENC1.append(a[c] + a[d])
    for value in range(65536):
        c, rest = divmod(value, 45 * 45)
        b, e = divmod(rest, 45)
        _B45_TRIPLES[a[e] + a[b] + a[c]] = value.to_bytes(2, "big")
    for value in range(256):
        d, c = divmod(value, 45)
        _B45_PAIRS[a[c] + a[d]] = bytes([value])


def b45decode(text: str) -> bytes:
    """Base45 (RFC 9285) decoding by table look-up: the same result as ``base45.b45decode``
    (a test compares them), a few times faster; raises ValueError on invalid input."""
    if not _B45_TRIPLES:
        _b45_tables()
    size = len(text)
    full = size - size % 3
    if size % 3 == 1:
        raise ValueError("invalid Base45 length")
    try:
        parts = [_B45_TRIPLES[text[i : i + 3]] for i in range(0, full, 3)]
        if size % 3 == 2:
            parts.append(_B45_PAIRS[text[full:]])
    except KeyError:
        raise ValueError("invalid Base45 character or value") from None
    return b"".join(parts)


def _compress(data: bytes) -> bytes:
    # A 512-byte window: codes are far smaller, and allocating the default 32 KiB window costs
    # more than compressing (standard inflaters accept any window up to 32 KiB).
    deflater = zlib.compressobj(9, zlib.DEFLATED, 9, 4)
    return deflater.compress(data) + deflater.flush()


def _inflate(data: bytes, cap: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error as exc:
        raise DecodeError("bad_zlib", str(exc)) from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise DecodeError("zlib_bomb", f"decompresses to more than {cap} bytes")
    if not inflater.eof:
        raise DecodeError("bad_zlib", "truncated zlib stream")
    return out


def _claims(payload: bytes) -> Claims:
    try:
        claims = cbor2.loads(payload)
    except Exception as exc:  # cbor2 raises several kinds on garbage
        raise DecodeError("bad_cbor", f"payload: {exc}") from None
    if not isinstance(claims, Mapping):
        raise DecodeError("bad_structure", "payload is not a map")
    region, subject = claims.get(CLAIM_ISS), claims.get(CLAIM_SUB)
    exp, iat, zt = claims.get(CLAIM_EXP), claims.get(CLAIM_IAT), claims.get(CLAIM_ZT)
    if not isinstance(region, str) or not isinstance(subject, str):
        raise DecodeError("bad_structure", "iss and sub must be text")
    if type(exp) is not int or type(iat) is not int:
        raise DecodeError("bad_structure", "exp and iat must be integers")
    if not isinstance(zt, Mapping) or not isinstance(zt.get("p"), str) or zt.get("c") not in COLOURS_BY_CODE:
        raise DecodeError("bad_structure", "purpose/colour claim missing or invalid")
    return Claims(region, subject, zt["p"], COLOURS_BY_CODE[zt["c"]], iat, exp)


def decode_code(text: str, *, max_bytes: int = 4096, prefix: str = PREFIX) -> Decoded:
    """Undo the transport encodings and check the COSE/CWT shape (no signature check here)."""
    if not isinstance(text, str) or not text.startswith(prefix):
        raise DecodeError("bad_prefix", f"expected {prefix}")
    # Only line ends are trimmed (scanners append them): a space is a Base45 digit.
    body = text[len(prefix) :].rstrip("\r\n")
    if not body or len(body) > max_bytes * 2:
        raise DecodeError("bad_base45", "empty or oversized")
    try:
        compressed = b45decode(body)
    except Exception as exc:  # ValueError / KeyError on invalid characters or lengths
        raise DecodeError("bad_base45", str(exc) or type(exc).__name__) from None
    raw = _inflate(compressed, max_bytes)
    try:
        message = cbor2.loads(raw)
    except Exception as exc:
        raise DecodeError("bad_cbor", str(exc)) from None
    if isinstance(message, cbor2.CBORTag):
        if message.tag != COSE_SIGN1_TAG:
            raise DecodeError("bad_structure", f"CBOR tag {message.tag} is not COSE_Sign1 (18)")
        message = message.value
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise DecodeError("bad_structure", "COSE_Sign1 must be an array of 4")
    protected, unprotected, payload, signature = message
    if not isinstance(protected, bytes) or not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise DecodeError("bad_structure", "protected header, payload and signature must be byte strings")
    if not isinstance(unprotected, Mapping):
        raise DecodeError("bad_structure", "unprotected header must be a map")
    try:
        header = cbor2.loads(protected) if protected else {}
    except Exception as exc:
        raise DecodeError("bad_cbor", f"protected header: {exc}") from None
    if not isinstance(header, Mapping):
        raise DecodeError("bad_structure", "protected header is not a map")
    kid = header.get(4, unprotected.get(4))
    alg = header.get(1, unprotected.get(1))
    if not isinstance(kid, bytes) or not kid:
        raise DecodeError("bad_structure", "kid missing")
    if alg != ALG_ES256:
        raise DecodeError("bad_structure", f"unsupported algorithm {alg!r}")
    return Decoded(kid, alg, protected, payload, signature, _claims(payload))


def public_key_jwk(public_key: ec.EllipticCurvePublicKey, kid: bytes) -> dict:
    """The JWK the trust list publishes. Its ``kid`` is the 8 key-id bytes in lower-case hex, the
    one encoding of a key id everywhere (trust list entries, anchors, the database, the API)."""
    return keys.public_key_jwk(public_key, kid.hex())
