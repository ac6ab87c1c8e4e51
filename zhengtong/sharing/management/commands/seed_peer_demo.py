"""Load the demo's second installation (安徽省) into this database: `make run` does it in
var/peer/ with its own secrets, and serves it beside the Zhejiang demo (docs/sharing.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhengtong.sharing import peer_demo


class Command(BaseCommand):
    help = "Load the second demo installation (安徽省 合肥市蜀山区, deterministic, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", action="store_true", help="print its demo accounts")

    def handle(self, *args, **opts):
        peer_demo.seed(stdout=self.stdout)
        if opts["accounts"]:
            for row in peer_demo.account_rows():
                self.stdout.write("  ".join(row))
