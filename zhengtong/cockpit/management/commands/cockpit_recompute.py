"""Recompute the indicator store's history from the raw records, with a progress bar:

manage.py cockpit_recompute --days 365              # the last year, every indicator
manage.py cockpit_recompute --from 2026-01-01 --to 2026-06-30 --indicator services.on_time_rate
manage.py cockpit_recompute --days 365 --workers 2  # indicators side by side (PostgreSQL)
"""

from __future__ import annotations

import datetime as dt
import os

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from zhengtong.cockpit.services import materialize
from zhengtong.core.indicators import indicator, indicators


class Command(BaseCommand):
    help = "Recompute indicators over a range of days from the raw records (replaces stored values)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365, help="the last N days up to today (default 365)")
        parser.add_argument("--from", dest="day_from", help="first day (YYYY-MM-DD); overrides --days")
        parser.add_argument("--to", dest="day_to", help="last day (YYYY-MM-DD), default today")
        parser.add_argument(
            "--indicator", action="append", default=[], help="only this indicator (repeatable)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
        parser.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="processes computing indicators side by side (default: 2 or the CPUs if fewer; "
            "SQLite and inside a transaction always 1)",
        )

    def handle(self, *args, **options):
        try:
            day_to = dt.date.fromisoformat(options["day_to"]) if options["day_to"] else timezone.localdate()
            day_from = (
                dt.date.fromisoformat(options["day_from"])
                if options["day_from"]
                else day_to - dt.timedelta(days=max(1, options["days"]) - 1)
            )
        except ValueError as exc:
            raise CommandError(f"bad date: {exc}") from None
        if day_from > day_to:
            raise CommandError("--from is after --to")
        codes = options["indicator"] or None
        for code in codes or []:
            if indicator(code) is None:
                raise CommandError(f"no indicator {code!r}")
        chosen = codes or [i.code for i in indicators()]
        total = len(chosen) * ((day_to - day_from).days + 1)
        if options["no_progress"]:
            done = materialize.recompute(
                day_from=day_from, day_to=day_to, codes=codes, workers=max(1, options["workers"])
            )
        else:
            with Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            ) as bar:
                task = bar.add_task("indicator-days", total=total)

                def progress(code: str, days: int) -> None:
                    bar.update(task, advance=days, description=code)

                done = materialize.recompute(
                    day_from=day_from,
                    day_to=day_to,
                    codes=codes,
                    progress=progress,
                    workers=max(1, options["workers"]),
                )
        rows = sum(d["rows"] for d in done.values())
        self.stdout.write(f"{len(done)} indicators, {day_from} to {day_to}: {rows} stored rows")
