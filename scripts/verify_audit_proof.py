#!/usr/bin/env python3
"""Verify an audit event's inclusion proof without any Zhengtong code (hashlib + cryptography).

    python verify_audit_proof.py proof.json keys.json

``proof.json`` is the answer of ``GET /api/v1/audit/events/{id}/proof``; ``keys.json`` the JWK Set
of ``GET /api/v1/seals/keys`` (or ``/seals/keys.json``). Checks, in order: the event's canonical text
hashes to the event hash; the leaf hash is RFC 9162's; the audit path leads to the signed head's
root; the head's signature (ES256 over its sorted-key compact JSON) verifies with the published
``audit.tree_head`` key. Exit status 0 when everything holds.
"""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def main(proof_path, keys_path):
    with open(proof_path, encoding="utf-8") as f:
        proof = json.load(f)
    with open(keys_path, encoding="utf-8") as f:
        keys = json.load(f)["keys"]
    head = proof["head"]
    if hashlib.sha256(proof["canonical"].encode()).hexdigest() != proof["event_hash"]:
        return "the event's content does not match its hash"
    leaf = hashlib.sha256(b"\x00" + bytes.fromhex(proof["event_hash"])).digest()
    if leaf.hex() != proof["leaf_hash"]:
        return "the leaf hash is not the event's"
    root = root_from_path(
        proof["leaf_index"], head["tree_size"], leaf, [bytes.fromhex(p) for p in proof["path"]]
    )
    if root is None or root.hex() != head["root_hash"]:
        return "the audit path does not lead to the signed root"
    jwk = next((k for k in keys if k["kid"] == head["kid"]), None)
    if jwk is None or jwk.get("zt_purpose") != "audit.tree_head":
        return "the head's key is not a published audit.tree_head key"
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url(jwk["x"]), "big"), int.from_bytes(b64url(jwk["y"]), "big"), ec.SECP256R1()
    ).public_key()
    body = {k: head[k] for k in ("log", "tree_size", "root_hash", "timestamp", "prev_head")}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    raw = b64url(head["signature"])
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "the tree head's signature does not verify"
    return None


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    problem = main(sys.argv[1], sys.argv[2])
    if problem:
        sys.exit(f"NOT VERIFIED: {problem}")
    print("verified: the event is in the audit log under the signed tree head")
