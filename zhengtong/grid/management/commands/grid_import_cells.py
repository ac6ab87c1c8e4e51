"""Import grid cells from a GeoJSON FeatureCollection (all or nothing), as the system account."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengtong.accounts.services import system_actor
from zhengtong.core.errors import ValidationError
from zhengtong.grid.services import cells_import


class Command(BaseCommand):
    help = "Import grid cells from a GeoJSON FeatureCollection (properties: code, name)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = cells_import(actor=system_actor(), collection=file.read_bytes())
        except ValidationError as exc:
            for problem in exc.fields.get("file", [exc.message]):
                self.stderr.write(problem)
            raise CommandError("nothing was imported") from None
        self.stdout.write(f"imported: {result['created']} new, {result['updated']} updated")
