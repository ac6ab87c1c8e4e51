"""Compute county risk levels for a day (default today) or the last N days."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from zhengtong.accounts.services import system_actor
from zhengtong.codes import services


class Command(BaseCommand):
    help = "Compute the risk levels (五色图) from the indicators."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--days", type=int, default=1)

    def handle(self, *args, **opts):
        end = opts["day"] or timezone.localdate()
        for back in range(max(1, opts["days"]) - 1, -1, -1):
            day = end - dt.timedelta(days=back)
            self.stdout.write(f"{day}: {services.risk_compute(day, actor=system_actor())} counties")
