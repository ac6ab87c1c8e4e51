"""Verify a sealed PDF without the platform's code: fetch the document's signature by its
verification code and the published JWK Set, and check the ES256 signature over the exact bytes.

    python scripts/verify_sealed_pdf.py https://zt.example CODE document.pdf

Needs only the standard library and ``cryptography``. Exit status 0: valid; 1: altered or wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fetch(url: str) -> dict:
    if not url.startswith(("https://", "http://")):
        raise SystemExit("the site must be an http(s) URL")
    with urllib.request.urlopen(url) as response:  # noqa: S310 - scheme checked above
        return json.load(response)


def main(site: str, code: str, path: str) -> int:
    status = fetch(f"{site}/api/v1/seals/documents/{code}")
    keys = fetch(f"{site}/seals/keys.json")["keys"]
    jwk = next(k for k in keys if k["kid"] == status["kid"])
    key = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64(jwk["x"]), "big"), int.from_bytes(b64(jwk["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = b64(status["signature"])
    data = open(path, "rb").read()  # noqa: SIM115 - a short script
    print(f"sha256 {hashlib.sha256(data).hexdigest()} (published {status.get('sha256')})")
    try:
        key.verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            data,
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        print("INVALID: the file is not the one sealed under this code")
        return 1
    print(f"valid: sealed with key {status['kid']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
