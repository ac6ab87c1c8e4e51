"""Writes of the core module: the working-day calendar's local overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from zhengtong.core import calendar, trail
from zhengtong.core.authz import ensure_can
from zhengtong.core.models import CalendarDay

trail.register({"core.calendar.set": gettext_lazy("Set a calendar override")})


@transaction.atomic
def calendar_day_set(*, actor: Any, date: dt.date, is_workday: bool, note: str = "") -> CalendarDay:
    """Declare a day a working day or a holiday, overriding the official calendar library."""
    ensure_can(actor, "core.manage_calendar")
    day, _ = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "note": note}
    )
    trail.record(
        actor=actor,
        action="core.calendar.set",
        target=day,
        after={"date": date, "is_workday": is_workday, "note": note},
    )
    transaction.on_commit(calendar.reset_cache)
    return day
