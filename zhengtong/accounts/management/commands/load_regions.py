"""Load an org tree (nested JSON: code, name, name_en, level, children) — idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from zhengtong.accounts.selectors import org_unit_count
from zhengtong.accounts.services import org_units_load_tree, system_actor
from zhengtong.core.errors import ZhengtongError


class Command(BaseCommand):
    help = "Load or extend the org tree from a JSON file (see zhengtong/accounts/data/zhejiang_regions.json)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            tree = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        actor = system_actor() if org_unit_count() else None
        try:
            created, unchanged = org_units_load_tree(actor=actor, tree=tree)
        except ZhengtongError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"{created} org units created, {unchanged} already present"))
