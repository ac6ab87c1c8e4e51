"""Signing keys: ``init`` (create the code and anchor keys if missing), ``rotate``, ``revoke KID``,
``list``, ``jwk`` (print the public keys as JWKs)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from zhengtong.accounts.services import system_actor
from zhengtong.codes import cose, keys
from zhengtong.codes.models import SigningKey


class Command(BaseCommand):
    help = "Manage the codes signing keys (init, rotate, revoke, list, jwk)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["init", "rotate", "revoke", "list", "jwk"])
        parser.add_argument("kid", nargs="?")
        parser.add_argument("--reason", default="")

    def handle(self, *args, **opts):
        actor = system_actor()
        action = opts["action"]
        if action == "init":
            code, anchor = keys.ensure_keys(actor=actor)
            self.stdout.write(f"code key {code.kid}, anchor key {anchor.kid}")
        elif action == "rotate":
            self.stdout.write(f"new active code key {keys.rotate(actor=actor).kid}")
        elif action == "revoke":
            key = SigningKey.objects.filter(kid=opts["kid"] or "").first()
            if key is None:
                raise CommandError("unknown kid")
            keys.revoke(actor=actor, key=key, reason=opts["reason"] or "revoked from the command line")
            self.stdout.write(f"revoked {key.kid}")
        elif action == "list":
            for k in SigningKey.objects.all():
                self.stdout.write(
                    f"{k.kid}  {k.role:6}  {k.status:8}  {k.region_code}  {k.created_at:%Y-%m-%d %H:%M}"
                )
        else:
            out = [
                cose.public_key_jwk(keys.public_key(k), bytes.fromhex(k.kid))
                for k in SigningKey.objects.filter(role="code")
            ]
            self.stdout.write(json.dumps({"keys": out}, indent=1))
