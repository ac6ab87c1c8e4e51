"""Trust lists: ``export FILE`` (our signed list), ``anchor FILE`` (our anchor public key, PEM),
``trust-anchor REGION NAME PEM_FILE`` (configure another region's anchor), ``import FILE``."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhengtong.accounts.services import system_actor
from zhengtong.codes import services, trust
from zhengtong.core.errors import ValidationError


class Command(BaseCommand):
    help = "Export or import signed trust lists, and configure trust anchors."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "anchor", "trust-anchor", "import"])
        parser.add_argument("args", nargs="*")

    def handle(self, *args, **opts):
        action, rest = opts["action"], opts["args"]
        try:
            if action == "export":
                self._write(rest, json.dumps(trust.export_signed(), ensure_ascii=False, indent=1))
            elif action == "anchor":
                self._write(rest, trust.anchor_export()["public_key_pem"])
            elif action == "trust-anchor":
                if len(rest) != 3:
                    raise CommandError("usage: trust-anchor REGION NAME PEM_FILE")
                with open(rest[2], encoding="utf-8") as fh:
                    anchor = trust.anchor_add(
                        actor=system_actor(), region_code=rest[0], name=rest[1], public_key_pem=fh.read()
                    )
                self.stdout.write(f"trusting anchor {anchor.anchor_kid} of {anchor.region_code}")
            else:
                if len(rest) != 1:
                    raise CommandError("usage: import FILE")
                with open(rest[0], encoding="utf-8") as fh:
                    data = json.load(fh)
                for signed in data.get("lists", [data]):
                    if signed.get("trustlist", {}).get("region") == settings.CODES_REGION_CODE:
                        continue
                    tl = trust.import_signed(actor=system_actor(), signed=signed)
                    self.stdout.write(
                        f"imported {tl.region_code} sequence {tl.sequence} ({tl.keys.count()} keys)"
                    )
                services.forget_trust_store()
        except ValidationError as exc:
            raise CommandError(f"{exc.message} {exc.details}") from None

    def _write(self, rest, text):
        if rest:
            with open(rest[0], "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stdout.write(f"wrote {rest[0]}")
        else:
            self.stdout.write(text)
