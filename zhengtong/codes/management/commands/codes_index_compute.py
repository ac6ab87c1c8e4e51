"""Compute the resumption and power-use indices for a day (default yesterday) or the last N days."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from zhengtong.accounts.services import system_actor
from zhengtong.codes import services


class Command(BaseCommand):
    help = "Compute the daily indices (复工率, 电力指数)."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--days", type=int, default=1)

    def handle(self, *args, **opts):
        end = opts["day"] or timezone.localdate() - dt.timedelta(days=1)
        for back in range(max(1, opts["days"]) - 1, -1, -1):
            day = end - dt.timedelta(days=back)
            self.stdout.write(f"{day}: {services.index_compute(day, actor=system_actor())} counties")
