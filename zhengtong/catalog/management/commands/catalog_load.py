"""Load a data file into a catalogued resource, with a progress bar:

    manage.py catalog_load <resource-name> <file> [--mode replace|append] [--as <username>]

Runs the same load path as the web form and the API (services.load_start), in this process.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from zhengtong.accounts.services import system_actor, user_by_username
from zhengtong.catalog import services
from zhengtong.core.errors import NotFound, ZhengtongError


class Command(BaseCommand):
    help = "Load a CSV, XLSX, JSON or NDJSON file into a data resource (a new version)."

    def add_arguments(self, parser):
        parser.add_argument("resource", help="name of the data resource")
        parser.add_argument("file", help="path of the data file")
        parser.add_argument("--mode", choices=["replace", "append"], default="replace")
        parser.add_argument("--as", dest="username", default="", help="act as this user (default: system)")

    def handle(self, *args, **options):
        try:
            resource = services.resource_by_name(options["resource"])
        except ZhengtongError as exc:
            raise CommandError(exc.message) from None
        actor = system_actor()
        if options["username"]:
            try:
                actor = user_by_username(options["username"])
            except NotFound:
                raise CommandError(f"no user {options['username']!r}") from None
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
        ) as bar:
            task = bar.add_task("load", total=100)

            def progress(percent: int, step: str) -> None:
                bar.update(task, completed=percent, description=step)

            try:
                job = services.load_start(
                    actor=actor,
                    resource=resource,
                    uploaded_file=options["file"],
                    mode=options["mode"],
                    run_now=True,
                    progress=progress,
                )
            except FileNotFoundError:
                raise CommandError(f"no file {options['file']!r}") from None
            except ZhengtongError as exc:
                raise CommandError(exc.message) from None
        if job.state != "succeeded":
            for e in job.errors[:50]:
                self.stderr.write(f"row {e['row']} {e['field']}: {e['rule']} {e['message']}")
            raise CommandError(f"load {job.pk} failed: {job.message}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{job.row_count} rows loaded into {resource.name} as version {job.version.number}"
            )
        )
