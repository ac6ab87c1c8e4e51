"""Demo histories as they would have happened: ``as_of(at)`` makes ``django.utils.timezone.now``
answer ``at`` for the duration of a block, so that a transition seeded "in June" stamps June on
its timeline entry, its audit event, its SLA clock and its ``auto_now`` fields, and ``sla_scan``
run at that moment escalates what was overdue then.

For the demo seeders (single-threaded management commands) and tests only: it replaces a
module attribute for the whole process while the block runs. Code that reads the time through
``timezone.now()`` (the project's rule) sees it; nothing else changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from zhengtong.core import sla

_real_now = timezone.now


@contextlib.contextmanager
def as_of(at: dt.datetime) -> Iterator[dt.datetime]:
    """Within the block ``timezone.now()`` is ``at`` (an aware datetime, not in the future)."""
    if timezone.is_naive(at):
        raise ValueError("as_of needs an aware datetime")
    if at > _real_now():
        raise ValueError("as_of cannot move the clock into the future")
    previous = timezone.now
    timezone.now = lambda: at
    try:
        yield at
    finally:
        timezone.now = previous


def replay_sla(start: dt.datetime, step: dt.timedelta = dt.timedelta(hours=12)) -> None:
    """Run the SLA scan as the periodic task would have, every ``step`` from ``start`` until
    now, each at its own time: clocks become due-soon and overdue, and overdue items escalate
    (their ``on_overdue``), when that happened; then once more at the real time."""
    at, end = start, _real_now()
    while at < end:
        with as_of(at):
            sla.sla_scan(now=at)
        at += step
    sla.sla_scan()


def real_now() -> dt.datetime:
    """The wall clock, also inside ``as_of``."""
    return _real_now()
