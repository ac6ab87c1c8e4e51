"""The working-day calendar: official Chinese holidays and adjusted working days (调休).

Source of truth, in order: local overrides (``CalendarDay``, maintained by platform admins),
then the ``chinesecalendar`` library (the State Council's yearly schedule), and for a year
neither knows yet, Monday to Friday (logged once so an admin adds the overrides).

Counting rule (行政许可法 and 民法典 §201): the start day is not counted; a deadline of n
working days is the n-th working day after the start.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar

from zhengtong.core import cache
from zhengtong.core.models import CalendarDay

logger = logging.getLogger(__name__)
_OVERRIDE_TTL_SECONDS = 60
OVERRIDES_CACHE = "core.calendar.overrides"
_warned_years: set[int] = set()


def _read_overrides() -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.values_list("date", "is_workday"))


def _load_overrides() -> dict[dt.date, bool]:
    # Every deadline computation reads this: kept in-process too (core.cache revalidates).
    return cache.cached(OVERRIDES_CACHE, "all", _read_overrides, _OVERRIDE_TTL_SECONDS, local=True)


def reset_cache() -> None:
    """Drop cached overrides in every process (called after an override changes)."""
    cache.invalidate(OVERRIDES_CACHE)


@lru_cache(maxsize=8192)
def _library_is_workday(day: dt.date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_supported(day: dt.date) -> bool:
    """Whether the official calendar (library or overrides) covers this day's year."""
    return _library_is_workday(day) is not None or any(d.year == day.year for d in _load_overrides())


def is_workday(day: dt.date) -> bool:
    override = _load_overrides().get(day)
    if override is not None:
        return override
    official = _library_is_workday(day)
    if official is not None:
        return official
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        logger.warning("no official calendar for %s: counting Monday to Friday; add overrides", day.year)
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (the start day itself is not counted).

    ``days`` may be negative to count backwards; 0 returns ``start``.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += dt.timedelta(days=step)
        if is_workday(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
