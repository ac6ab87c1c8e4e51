#!/usr/bin/env python3
"""Verify a Zhengtong exchange receipt offline, with no project code: only ``cryptography``
and the standard library.

    python scripts/verify_receipt.py receipt.json keys.json            # keys saved from /seals/keys.json
    python scripts/verify_receipt.py receipt.json https://host/seals/keys.json
    python scripts/verify_receipt.py receipt.json keys.json --response answer.json

A receipt is {"payload": {...}, "alg": "ES256", "kid": "...", "signature": "<base64url r||s>"}; the
signature is ECDSA P-256 / SHA-256 over the payload as canonical JSON (UTF-8, keys sorted, no
spaces, non-ASCII kept). ``--response`` also checks that the answer you received (without its
"receipt" member) hashes to the payload's response_sha256. Exit status 0 when valid, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical(value) -> bytes:
    return _CANONICAL.encode(value).encode()


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_json(source: str):
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 - a URL the user gave
            return json.load(response)
    with open(source, encoding="utf-8") as fh:
        return json.load(fh)


def public_key(jwks: dict, kid: str) -> ec.EllipticCurvePublicKey | None:
    for key in jwks.get("keys", []):
        if key.get("kid") == kid and key.get("kty") == "EC" and key.get("crv") == "P-256":
            try:
                return _point(str(key.get("x")), str(key.get("y")))
            except ValueError:  # not a point on the curve
                return None
    return None


@functools.lru_cache(maxsize=64)  # loading a key costs a fifth of a verification: once per key
def _point(x: str, y: str) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + b64url(x) + b64url(y))


def verify(receipt: dict, jwks: dict) -> tuple[bool, str]:
    if receipt.get("alg") != "ES256":
        return False, "unsupported algorithm"
    key = public_key(jwks, str(receipt.get("kid")))
    if key is None:
        return False, f"no published key {receipt.get('kid')!r}"
    raw = b64url(str(receipt.get("signature", "")))
    if len(raw) != 64:
        return False, "malformed signature"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, canonical(receipt["payload"]), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False, "signature does not match the payload"
    return True, "valid"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("receipt")
    parser.add_argument("keys", help="a JWKS file or URL (the platform's /seals/keys.json)")
    parser.add_argument("--response", help="the answer received, to check its hash")
    args = parser.parse_args(argv)
    receipt = load_json(args.receipt)
    if "receipt" in receipt and "payload" not in receipt:  # a whole answer was given
        receipt = receipt["receipt"]
    ok, why = verify(receipt, load_json(args.keys))
    if ok and args.response:
        answer = {k: v for k, v in load_json(args.response).items() if k != "receipt"}
        if hashlib.sha256(canonical(answer)).hexdigest() != receipt["payload"].get("response_sha256"):
            ok, why = False, "the answer does not hash to the receipt's response_sha256"
    payload = receipt.get("payload", {})
    print(
        f"{'VALID' if ok else 'INVALID'}: {why}; receipt {payload.get('id')} {payload.get('outcome')} at {payload.get('at')}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
