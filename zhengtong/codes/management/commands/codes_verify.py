"""Offline verifier: check a code against trust-list file(s), no database needed.

    manage.py codes_verify "ZT1:..." --trust-list a.json [--anchor a-anchor.pem] [--purpose health]

A trust-list file holds one signed list ({"trustlist", "anchor_kid", "signature"}) or
{"lists": [...]}. With --anchor (PEM public keys, repeatable) each list's signature must verify
against one of them; lists that do not are refused. Exit status 0 = valid, 1 = invalid.
"""

from __future__ import annotations

import base64
import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhengtong.codes import cose
from zhengtong.codes.trust import canonical
from zhengtong.codes.verify import TrustStore, verify


def load_lists(paths: list[str], anchor_paths: list[str]) -> list[dict]:
    anchors = {}
    for path in anchor_paths:
        with open(path, encoding="utf-8") as fh:
            key = load_pem_public_key(fh.read().encode())
        anchors[cose.kid_for(key).hex()] = key
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        for signed in data.get("lists", [data]) if isinstance(data, dict) else data:
            if not signed:
                continue
            document = signed["trustlist"]
            if anchors:
                key = anchors.get(signed.get("anchor_kid"))
                sig = base64.b64decode(signed.get("signature", ""))
                if key is None or not cose.verify_es256(key, canonical(document), sig):
                    raise CommandError(
                        f"trust list of {document.get('region')} in {path} does not verify against the anchors"
                    )
            documents.append(document)
    return documents


class Command(BaseCommand):
    help = "Verify a code offline against trust-list files (prints one JSON result)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the QR text, or - to read it from standard input")
        parser.add_argument("--trust-list", action="append", required=True, dest="trust_lists")
        parser.add_argument("--anchor", action="append", default=[], dest="anchors")
        parser.add_argument("--purpose", default=None)

    def handle(self, *args, **opts):
        code = sys.stdin.read().strip() if opts["code"] == "-" else opts["code"]
        store = TrustStore.from_documents(load_lists(opts["trust_lists"], opts["anchors"]))
        result = verify(
            code,
            store=store,
            purpose=opts["purpose"],
            max_bytes=settings.CODES_MAX_DECOMPRESSED_BYTES,
            prefix=settings.CODES_PREFIX,
        )
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        if not result.valid:
            raise SystemExit(1)
