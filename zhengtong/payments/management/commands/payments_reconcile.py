"""Daily reconciliation: our ledger against the provider's statement.

    manage.py payments_reconcile --day 2026-11-21 [--statement file.csv] [--csv out.csv]

Without --statement the provider is asked for its statement (the local provider writes one).
Exit status 1 when anything does not match.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengtong.accounts.services import system_actor
from zhengtong.core.errors import ValidationError
from zhengtong.payments import services
from zhengtong.payments.providers import get_provider


class Command(BaseCommand):
    help = "Reconcile one day's payments and refunds with the provider's statement."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--provider", default="local")
        parser.add_argument("--statement", help="the provider's statement CSV (default: fetch it)")
        parser.add_argument("--csv", help="write the report as CSV to this file")

    def handle(self, *args, **opts):
        try:
            day = (
                dt.date.fromisoformat(opts["day"])
                if opts["day"]
                else timezone.localdate() - dt.timedelta(days=1)
            )
        except ValueError:
            raise CommandError("--day must be YYYY-MM-DD") from None
        if opts["statement"]:
            text = Path(opts["statement"]).read_text(encoding="utf-8-sig")
        else:
            text = get_provider(opts["provider"]).statement(day)
            out_dir = Path(settings.PAYMENTS_STATEMENT_DIR)
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{opts['provider']}-{day.isoformat()}.csv").write_text(text, encoding="utf-8")
        try:
            result = services.reconcile(
                actor=system_actor(), day=day, provider=opts["provider"], statement=text
            )
        except ValidationError as exc:
            raise CommandError(exc.message) from None
        if opts["csv"]:
            Path(opts["csv"]).write_text(result.csv(), encoding="utf-8")
        self.stdout.write(
            f"{day}: matched {len(result.matched)}, provider only {len(result.missing_ours)}, "
            f"ours only {len(result.missing_provider)}, amount mismatches {len(result.mismatched)}"
        )
        for row in result.rows():
            if row["status"] != "matched":
                self.stdout.write(f"  {row['status']}: {row['type']} {row['provider_id']} {row['order']}")
        if not result.ok:
            sys.exit(1)
