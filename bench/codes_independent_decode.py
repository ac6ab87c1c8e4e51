#!/usr/bin/env python3
"""Independent decoder for Zhengtong codes: only cbor2, cryptography and base45 — no Zhengtong code.

Usage: codes_independent_decode.py CODE_TEXT KEY_FILE
KEY_FILE is the issuer's published key as a PEM public key or a JWK (JSON, e.g. one "jwk" of
a trust list entry). Prints the claims as JSON and exits 0 when the signature verifies, 1 otherwise.
"""

import base64
import hashlib
import json
import sys
import time
import zlib

import base45
import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def load_key(text: str) -> ec.EllipticCurvePublicKey:
    text = text.strip()
    if text.startswith("{"):
        jwk = json.loads(text)

        def num(field: str) -> int:
            raw = jwk[field] + "=" * (-len(jwk[field]) % 4)
            return int.from_bytes(base64.urlsafe_b64decode(raw), "big")

        return ec.EllipticCurvePublicNumbers(num("x"), num("y"), ec.SECP256R1()).public_key()
    return serialization.load_pem_public_key(text.encode())


def decode(code: str, key: ec.EllipticCurvePublicKey) -> dict:
    prefix, _, body = code.partition(":")
    compressed = base45.b45decode(body)
    inflater = zlib.decompressobj()
    raw = inflater.decompress(compressed, 65536)
    tag = cbor2.loads(raw)
    protected, unprotected, payload, signature = tag.value if isinstance(tag, cbor2.CBORTag) else tag
    header = cbor2.loads(protected)
    kid = header.get(4, unprotected.get(4))
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if hashlib.sha256(der).digest()[:8] != kid:
        raise SystemExit("kid does not match the given key")
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    key.verify(encode_dss_signature(r, s), to_sign, ec.ECDSA(hashes.SHA256()))  # raises if invalid
    claims = cbor2.loads(payload)
    return {
        "prefix": prefix + ":",
        "alg": header.get(1),
        "kid": kid.hex(),
        "iss": claims[1],
        "sub": claims[2],
        "exp": claims[4],
        "iat": claims[6],
        "purpose": claims[-65537]["p"],
        "colour": {"g": "green", "y": "yellow", "r": "red"}[claims[-65537]["c"]],
        "expired": claims[4] <= time.time(),
    }


def main() -> int:
    if sys.argv[1:] in (["--help"], ["-h"]):
        print(__doc__)
        return 0
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[2], encoding="utf-8") as fh:
        key = load_key(fh.read())
    try:
        result = decode(sys.argv[1].strip(), key)
    except Exception as exc:  # noqa: BLE001 - report any failure as "does not verify"
        print(json.dumps({"verified": False, "error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps({"verified": True, **result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
