"""Import or refresh the other installations of the trust list from their anchors
(SHARING_PEERS, "id=https://base-url"): their exchange endpoints and published keys."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhengtong.core.errors import ZhengtongError
from zhengtong.sharing import services


class Command(BaseCommand):
    help = "Refresh the trust list of other installations from SHARING_PEERS."

    def add_arguments(self, parser):
        parser.add_argument("installation", nargs="*", help="only these ids (default: every anchor)")

    def handle(self, *args, **opts):
        anchors = services.anchors()
        names = opts["installation"] or sorted(anchors)
        if not names:
            raise CommandError("no anchors: set SHARING_PEERS")
        for name in names:
            try:
                peer = services.peer_refresh(actor=None, installation=name, via="sharing")
            except ZhengtongError as exc:
                self.stderr.write(f"{name}: {exc.message}")
                continue
            self.stdout.write(f"{name}: {peer.base_url}, {len(peer.keys.get('keys', []))} keys")
