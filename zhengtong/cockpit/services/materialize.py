"""Materializing the registered indicators into the indicator store, incrementally (the worker,
every few minutes) or over a chosen history (``manage.py cockpit_recompute``).

A run of one indicator asks it which days changed since its watermark (rows updated since then)
and always includes the days from the watermark to today; it computes those days from the raw
records through the indicator's own ``compute``, adds each leaf row to every unit above it, and
replaces the stored rows of those days in one transaction per chunk. The watermark is the time
the run started, so a record written during the run is looked at again by the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from zhengtong.cockpit.models import IndicatorValue, MaterializationState
from zhengtong.core import cache as core_cache
from zhengtong.core.indicators import Indicator, Row, days_between, indicator, indicators

logger = logging.getLogger(__name__)

CHUNK_DAYS = 31
# The core.cache namespace of what the cockpit pages read from the store: invalidated whenever
# stored values change, so a cached page is never older than the store.
STORE_CACHE = "cockpit.store"
Progress = Callable[[str, int], None]  # (indicator code, days just done)


def ancestors(path: str) -> list[str]:
    """ "330000/330100/330106/" → ["330000/", "330000/330100/", "330000/330100/330106/"]."""
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def rolled_up(rows: Iterable[Row]) -> dict[tuple[dt.date, str, str], list[float]]:
    """Leaf rows added into every unit above them: (day, path, dim) → [num, den]."""
    out: dict[tuple[dt.date, str, str], list[float]] = {}
    for day, path, dim, num, den in rows:
        for p in ancestors(path):
            acc = out.setdefault((day, p, dim), [0.0, 0.0])
            acc[0] += num
            acc[1] += den
    return out


def _runs(days: Iterable[dt.date], chunk: int = CHUNK_DAYS) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as contiguous ranges of at most ``chunk`` days."""
    out: list[list[dt.date]] = []
    for d in sorted(set(days)):
        if out and (d - out[-1][1]).days == 1 and (d - out[-1][0]).days < chunk:
            out[-1][1] = d
        else:
            out.append([d, d])
    return [(a, b) for a, b in out]


def _store(ind: Indicator, day_from: dt.date, day_to: dt.date) -> int:
    values = rolled_up(ind.compute(day_from, day_to))
    rows = []
    for (day, path, dim), (num, den) in values.items():
        parts = path.rstrip("/").split("/")
        parent = "/".join(parts[:-1]) + "/" if len(parts) > 1 else ""
        rows.append((ind.code, day, path, parent, len(parts) - 1, dim[:80], round(num, 6), round(den, 6)))
    with transaction.atomic():
        IndicatorValue.objects.filter(code=ind.code, day__gte=day_from, day__lte=day_to).delete()
        _insert_values(rows)
    return len(rows)


COLUMNS = ("code", "day", "path", "parent_path", "depth", "dim", "num", "den")


def _insert_values(rows: list[tuple]) -> None:
    """Write stored values: PostgreSQL's COPY (no model instance per row: a year of one indicator
    is tens of thousands of rows), elsewhere ``bulk_create``."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(IndicatorValue._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    IndicatorValue.objects.bulk_create(
        [IndicatorValue(**dict(zip(COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )


def days_to_refresh(ind: Indicator, state: MaterializationState, today: dt.date) -> list[dt.date]:
    if state.watermark is None:
        return days_between(today - dt.timedelta(days=settings.COCKPIT_HISTORY_DAYS - 1), today)
    # A minute of slack: a row saved in the same second as the last run started is seen again.
    since = state.watermark - dt.timedelta(minutes=1)
    recent = days_between(min(timezone.localdate(since), today), today)
    changed = ind.changed_days(since) if ind.changed_days else set()
    return sorted(set(recent) | {d for d in changed if d <= today})


def materialize_indicator(
    ind: Indicator, *, days: list[dt.date] | None = None, progress: Progress | None = None
) -> dict:
    """Materialize ``ind`` for ``days`` (default: what changed since its watermark) and move the
    watermark. Returns {"days", "rows", "seconds"}."""
    started = timezone.now()
    clock = time.perf_counter()
    state, _created = MaterializationState.objects.get_or_create(code=ind.code)
    incremental = days is None
    if days is None:
        days = days_to_refresh(ind, state, timezone.localdate(started))
    rows = 0
    for a, b in _runs(days, CHUNK_DAYS if incremental else settings.COCKPIT_RECOMPUTE_CHUNK_DAYS):
        rows += _store(ind, a, b)
        if progress:
            progress(ind.code, (b - a).days + 1)
    state.last_run_at = started
    state.last_days, state.last_rows = len(days), rows
    fields = ["last_run_at", "last_days", "last_rows"]
    if incremental or state.watermark is None:
        state.watermark = started
        fields.append("watermark")
    state.save(update_fields=fields)
    return {"days": len(days), "rows": rows, "seconds": round(time.perf_counter() - clock, 3)}


def materialize(*, codes: list[str] | None = None) -> dict[str, dict]:
    """The incremental run of every indicator (or of ``codes``): the worker's periodic task. One
    indicator failing is logged and does not stop the others."""
    out: dict[str, dict] = {}
    for ind in indicators():
        if codes is not None and ind.code not in codes:
            continue
        try:
            out[ind.code] = materialize_indicator(ind)
        except Exception:  # noqa: BLE001 - one module's indicator must not stop the others
            logger.exception("materializing indicator %s failed", ind.code)
            out[ind.code] = {"error": True}
    core_cache.invalidate(STORE_CACHE)
    return out


def recompute(
    *,
    day_from: dt.date,
    day_to: dt.date,
    codes: list[str] | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> dict[str, dict]:
    """Recompute the history [day_from, day_to] of every indicator (or of ``codes``) from the raw
    records, replacing what is stored (the command with the progress bar). ``workers`` > 1 runs
    the indicators in that many forked processes, each with its own database connection (not on
    SQLite, whose writes serialize anyway, nor inside a transaction); the progress then moves one
    indicator at a time."""
    chosen = [ind for ind in ([indicator(c) for c in codes] if codes else indicators()) if ind]
    days = days_between(day_from, day_to)
    # Inside a transaction the worker processes could not see its uncommitted rows (and closing
    # the connection would end it): then, as on SQLite, everything runs here.
    if workers <= 1 or len(chosen) < 2 or connection.vendor == "sqlite" or connection.in_atomic_block:
        out = {ind.code: materialize_indicator(ind, days=days, progress=progress) for ind in chosen}
        _tidy_store()
        core_cache.invalidate(STORE_CACHE)
        return out
    # The costliest first (by the rows each stored last time), so the processes finish together.
    sizes = dict(MaterializationState.objects.values_list("code", "last_rows"))
    order = sorted(chosen, key=lambda i: -(sizes.get(i.code) or 0))
    # Forked children must not share the parent's connection: close it; each child opens its own.
    connections.close_all()
    out: dict[str, dict] = {}
    with multiprocessing.get_context("fork").Pool(min(workers, len(order))) as pool:
        for code, result in pool.imap_unordered(_recompute_one, [(i.code, days) for i in order]):
            out[code] = result
            if progress:
                progress(code, len(days))
    _tidy_store()
    core_cache.invalidate(STORE_CACHE)
    return {i.code: out[i.code] for i in chosen}


def _tidy_store() -> None:
    """After rewriting history on PostgreSQL: ``VACUUM (ANALYZE)`` the store, so the planner knows
    its new size and the pages' reads stay index-only scans (the visibility map is set). Not
    possible inside a transaction (a test): skipped there."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(IndicatorValue._meta.db_table)}")


def _recompute_one(args: tuple[str, list[dt.date]]) -> tuple[str, dict]:
    code, days = args
    try:
        _session_for_history()
        return code, materialize_indicator(indicator(code), days=days)
    finally:
        connections.close_all()


def _session_for_history() -> None:
    """A recomputing process's own PostgreSQL session: no parallel query (the processes already
    keep the cores busy; parallel workers would only add their overhead) and room to aggregate a
    year in memory instead of spilling to disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
            cursor.execute("SET work_mem = '64MB'")
