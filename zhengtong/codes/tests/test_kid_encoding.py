"""One encoding of a key id: the trust list entry's kid, its JWK's kid and the database's are the
same 16 lower-case hex digits, and they name the key (SHA-256 of its DER, first 8 bytes)."""

import base64
import hashlib
import re

from zhengtong.codes import trust


def test_kid_is_hex_everywhere(codes):
    document = trust.own_document()
    for entry in document["keys"]:
        assert re.fullmatch(r"[0-9a-f]{16}", entry["kid"])
        assert entry["jwk"]["kid"] == entry["kid"]
        der = base64.b64decode(entry["public_key_der"])
        assert hashlib.sha256(der).digest()[:8].hex() == entry["kid"]
