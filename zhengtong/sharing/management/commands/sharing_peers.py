"""Import or refresh the other installations of the trust list from their anchors
(SHARING_PEERS, "id=https://base-url"): their exchange endpoints and published keys."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from zhengtong.core.errors import ZhengtongError
from zhengtong.sharing import services


class Command(BaseCommand):
    help = "Refresh the trust list of other installations from SHARING_PEERS."

    def add_arguments(self, parser):
        parser.add_argument("installation", nargs="*", help="only these ids (default: every anchor)")
        parser.add_argument(
            "--wait",
            type=int,
            default=0,
            metavar="SECONDS",
            help="retry every 2 s until each anchor answers or SECONDS pass (then exit 1); "
            "for starting two installations together",
        )

    def handle(self, *args, **opts):
        anchors = services.anchors()
        names = opts["installation"] or sorted(anchors)
        if not names:
            raise CommandError("no anchors: set SHARING_PEERS")
        deadline = time.monotonic() + opts["wait"]
        pending = list(names)
        while True:
            failed = []
            for name in pending:
                try:
                    peer = services.peer_refresh(actor=None, installation=name, via="sharing")
                except ZhengtongError as exc:
                    failed.append((name, exc.message))
                    continue
                self.stdout.write(f"{name}: {peer.base_url}, {len(peer.keys.get('keys', []))} keys")
            pending = [name for name, _message in failed]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(2)
        for name, message in failed:
            self.stderr.write(f"{name}: {message}")
        if failed and opts["wait"]:
            raise CommandError(f"{len(failed)} installation(s) did not answer within {opts['wait']} s")
