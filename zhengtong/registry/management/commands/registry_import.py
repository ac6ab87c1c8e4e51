"""Import a registry CSV from the command line: all rows or none, with a progress bar."""

from __future__ import annotations

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from zhengtong.accounts.services import system_actor, user_by_username
from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.registry.importers import HEADERS, registry_import


class Command(BaseCommand):
    help = "Import persons, legal_entities or licences from a CSV file (UTF-8 or GBK/GB18030)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(HEADERS))
        parser.add_argument("path", type=Path)
        parser.add_argument("--as-user", default="", help="act as this user (default: the system account)")

    def handle(self, *args, kind: str, path: Path, as_user: str, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            actor = user_by_username(as_user) if as_user else system_actor()
        except NotFound:
            raise CommandError(f"no user {as_user!r}") from None
        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]validating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("rows", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                report = registry_import(
                    actor=actor, kind=kind, raw=path.read_bytes(), filename=path.name, progress=on_progress
                )
            except ZhengtongError as exc:
                raise CommandError(exc.message) from None
        if not report.committed:
            for err in report.errors:
                self.stderr.write(f"row {err.row}, {err.field}: {err.message}")
            more = " (more not listed)" if report.truncated_errors else ""
            raise CommandError(f"{len(report.errors)} problem(s){more}; nothing was imported")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} rows ({report.encoding}): {report.created} created, {report.updated} updated"
            )
        )
