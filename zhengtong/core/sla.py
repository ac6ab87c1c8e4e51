"""SLA clocks in working days or in hours, shared by every object with a time limit.

A model gets the clock by inheriting ``SlaMixin`` (working days) or ``HourSlaMixin`` (working
days or hours, kept to the second); the workflow starts, pauses, resumes and stops it (the only
way a clock starts: ``Workflow.start`` or a transition with ``sla="start"``); ``sla_scan()`` (a
periodic task) moves running clocks to due-soon and overdue with one set-based UPDATE per model
that writes only the clocks whose state changes, so a scan over millions of open objects stays
cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core import hooks
from zhengtong.core.calendar import add_working_days, working_days_between


class SlaState(models.TextChoices):
    NONE = "none", _("no time limit")
    ON_TIME = "on_time", _("on time")
    DUE_SOON = "due_soon", _("due soon")
    OVERDUE = "overdue", _("overdue")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


RUNNING = (SlaState.ON_TIME, SlaState.DUE_SOON, SlaState.OVERDUE)


class SlaMixin(models.Model):
    sla_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    sla_started_on = models.DateField(_("clock started"), null=True, blank=True)
    sla_deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    # The first day the clock counts as due soon: precomputed so the scan is a plain date comparison.
    sla_due_soon_on = models.DateField(null=True, blank=True)
    sla_paused_on = models.DateField(_("paused since"), null=True, blank=True)
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, choices=SlaState.choices, default=SlaState.NONE, db_index=True
    )

    class Meta:
        abstract = True

    SLA_FIELDS = [
        "sla_working_days",
        "sla_started_on",
        "sla_deadline",
        "sla_due_soon_on",
        "sla_paused_on",
        "sla_state",
    ]


class HourSlaMixin(SlaMixin):
    """A clock in working days or in hours (``sla_hours`` set: the unit of the running clock),
    kept to the second in ``sla_due_at`` / ``sla_due_soon_at``. A working-day clock is due at the
    end of its deadline day and due soon from the start of its due-soon day, so ``sla_scan``
    compares one pair of columns for both units. The date fields are kept as well (an hour
    clock's ``sla_deadline`` is the local date of ``sla_due_at``)."""

    sla_hours = models.PositiveSmallIntegerField(_("time limit (hours)"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("due"), null=True, blank=True)
    sla_due_soon_at = models.DateTimeField(null=True, blank=True)
    # While paused: the seconds that were left (an hour clock resumes with exactly these).
    sla_seconds_left = models.IntegerField(null=True, blank=True)

    class Meta:
        abstract = True

    SLA_FIELDS = [*SlaMixin.SLA_FIELDS, "sla_hours", "sla_due_at", "sla_due_soon_at", "sla_seconds_left"]


@dataclass(frozen=True)
class _Registration:
    model: type[models.Model]
    on_overdue: Callable[[list], None] | None
    overdue_stamp: str | None
    chunk: int | None


CLOCKS = hooks.registry(
    "core.sla", doc="Models whose clocks `sla_scan` moves, keyed by model label (`core.sla.register`)."
)


def register(
    model: type[models.Model],
    *,
    on_overdue: Callable[[list], None] | None = None,
    overdue_stamp: str | None = None,
    chunk: int | None = None,
) -> None:
    """Have ``sla_scan`` look after this model; ``on_overdue(ids)`` runs for newly overdue objects.
    ``overdue_stamp`` names a datetime field set in the same UPDATE that marks a clock overdue
    (e.g. ``escalated_at``), so the hook need not write those rows a second time. ``chunk``: how
    many ids the hook gets at a time (default: the scan's); a hook that groups in the database
    and tells each supervisor once per call takes larger chunks (fewer calls, fewer messages)."""
    if CLOCKS.get(model._meta.label_lower) is None:
        CLOCKS.add(model._meta.label_lower, _Registration(model, on_overdue, overdue_stamp, chunk))


def today() -> dt.date:
    return timezone.localdate()


def has_hours(obj_or_model) -> bool:
    """Whether this model's clocks can run in hours (it inherits ``HourSlaMixin``)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return issubclass(model, HourSlaMixin)


def hour_due_soon(hours: int) -> dt.timedelta:
    """How long before its deadline an hour clock is due soon: its last quarter, at least an hour."""
    return dt.timedelta(hours=max(hours / 4, 1))


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def _classify(deadline: dt.date, due_soon_on: dt.date, on: dt.date) -> str:
    if on > deadline:
        return SlaState.OVERDUE
    if on >= due_soon_on:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


def _classify_at(due_at: dt.datetime, due_soon_at: dt.datetime, now: dt.datetime) -> str:
    if now > due_at:
        return SlaState.OVERDUE
    if now >= due_soon_at:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


def _set_deadline(obj: SlaMixin, start: dt.date, working_days: int, on: dt.date) -> None:
    obj.sla_deadline = add_working_days(start, working_days)
    obj.sla_due_soon_on = add_working_days(obj.sla_deadline, -settings.SLA_DUE_SOON_DAYS)
    obj.sla_state = _classify(obj.sla_deadline, obj.sla_due_soon_on, on)
    if has_hours(obj):
        obj.sla_due_at = _end_of_day(obj.sla_deadline)
        obj.sla_due_soon_at = _start_of_day(obj.sla_due_soon_on)


def _set_due_at(obj: HourSlaMixin, due_at: dt.datetime, now: dt.datetime) -> None:
    obj.sla_due_at = due_at
    obj.sla_due_soon_at = due_at - hour_due_soon(obj.sla_hours)
    obj.sla_deadline = timezone.localdate(due_at)
    obj.sla_due_soon_on = timezone.localdate(obj.sla_due_soon_at)
    obj.sla_state = _classify_at(obj.sla_due_at, obj.sla_due_soon_at, now)


def _save(obj: SlaMixin) -> None:
    obj.save(update_fields=type(obj).SLA_FIELDS)


def sla_start(
    obj: SlaMixin,
    *,
    working_days: int | None = None,
    hours: int | None = None,
    start: dt.date | None = None,
    at: dt.datetime | None = None,
    save: bool = True,
) -> None:
    """Start (or restart) the clock, in exactly one unit: the deadline is ``working_days`` working
    days after the day ``start`` (default today), or ``hours`` hours after ``at`` (default now;
    needs ``HourSlaMixin``). Called by the workflow, which is the one way a clock starts."""
    if (working_days is None) == (hours is None):
        raise ValueError("a clock runs in working days or in hours: give exactly one")
    obj.sla_paused_on = None
    if hours is not None:
        if not has_hours(obj):
            raise ValueError(f"{type(obj).__name__} has no hour clocks (inherit HourSlaMixin)")
        now = timezone.now()
        at = at or now
        obj.sla_hours = hours
        obj.sla_working_days = None
        obj.sla_seconds_left = None
        obj.sla_started_on = timezone.localdate(at)
        _set_due_at(obj, at + dt.timedelta(hours=hours), now)
    else:
        start = start or today()
        obj.sla_working_days = working_days
        obj.sla_started_on = start
        if has_hours(obj):
            obj.sla_hours = None
            obj.sla_seconds_left = None
        _set_deadline(obj, start, working_days, today())
    if save:
        _save(obj)


def sla_pause(
    obj: SlaMixin, *, on: dt.date | None = None, at: dt.datetime | None = None, save: bool = True
) -> None:
    """Pause (e.g. 补正: the applicant must supply materials); the remaining time is kept (working
    days from the pause day ``on``; for clocks kept to the second, the seconds left at ``at``)."""
    if obj.sla_state not in RUNNING:
        return
    at = at or timezone.now()
    obj.sla_paused_on = on or timezone.localdate(at)
    if has_hours(obj) and obj.sla_due_at is not None:
        obj.sla_seconds_left = max(int((obj.sla_due_at - at).total_seconds()), 0)
    obj.sla_state = SlaState.PAUSED
    if save:
        _save(obj)


def sla_resume(
    obj: SlaMixin, *, on: dt.date | None = None, at: dt.datetime | None = None, save: bool = True
) -> None:
    """Resume a paused clock: the working days left at the pause are counted again from ``on``;
    an hour clock gets the seconds it had left, from ``at`` (default now)."""
    if obj.sla_state != SlaState.PAUSED or obj.sla_deadline is None or obj.sla_paused_on is None:
        return
    if has_hours(obj) and obj.sla_hours and obj.sla_seconds_left is not None:
        now = timezone.now()
        at = at or now
        _set_due_at(obj, at + dt.timedelta(seconds=obj.sla_seconds_left), now)
    else:
        on = on or today()
        remaining = max(working_days_between(obj.sla_paused_on, obj.sla_deadline), 0)
        _set_deadline(obj, on, remaining, today())
    obj.sla_paused_on = None
    if has_hours(obj):
        obj.sla_seconds_left = None
    if save:
        _save(obj)


def sla_extend(obj: SlaMixin, *, working_days: int, save: bool = True) -> None:
    """Move a working-day clock's deadline ``working_days`` working days later (e.g. the one
    extension a statute allows: 政府信息公开条例 §33). A running clock is reclassified; a paused one
    stays paused and resumes with the longer remainder. The limit it runs to grows by as much."""
    if working_days < 1:
        raise ValueError("an extension is at least one working day")
    if obj.sla_deadline is None or obj.sla_state in (SlaState.NONE, SlaState.STOPPED):
        raise ValueError("only a running or paused clock can be extended")
    paused = obj.sla_state == SlaState.PAUSED
    obj.sla_working_days = (obj.sla_working_days or 0) + working_days
    _set_deadline(obj, obj.sla_deadline, working_days, today())
    if paused:
        obj.sla_state = SlaState.PAUSED
    if save:
        _save(obj)


def sla_stop(obj: SlaMixin, *, save: bool = True) -> None:
    if obj.sla_state == SlaState.NONE:
        return
    obj.sla_state = SlaState.STOPPED
    obj.sla_paused_on = None
    if has_hours(obj):
        obj.sla_seconds_left = None
    if save:
        _save(obj)


def sla_apply(
    obj: SlaMixin,
    action: str,
    *,
    working_days: int | None = None,
    hours: int | None = None,
    save: bool = True,
) -> None:
    """What a workflow transition's ``sla=`` does (``start`` needs working_days or hours)."""
    if action == "start":
        if working_days is None and hours is None:
            raise ValueError("starting a clock needs working_days or hours")
        sla_start(obj, working_days=working_days, hours=hours, save=save)
    elif action == "pause":
        sla_pause(obj, save=save)
    elif action == "resume":
        sla_resume(obj, save=save)
    elif action == "stop":
        sla_stop(obj, save=save)
    else:
        raise ValueError(f"unknown SLA action {action!r}")


@dataclass(frozen=True)
class _ScanSql:
    table: str
    pk: str
    state: str
    past: str  # the clock is past its deadline
    soon: str  # the clock is past its due-soon day
    stamp: str  # the stamped column, or ""


def _scan_sql(model: type[models.Model], stamp: str | None) -> _ScanSql:
    qn = connection.ops.quote_name
    meta = model._meta

    def column(name: str) -> str:
        return qn(meta.get_field(name).column)

    if has_hours(model):
        past, soon = f"{column('sla_due_at')} < %(now)s", f"{column('sla_due_soon_at')} <= %(now)s"
    else:
        past, soon = f"{column('sla_deadline')} < %(on)s", f"{column('sla_due_soon_on')} <= %(on)s"
    return _ScanSql(
        qn(meta.db_table), qn(meta.pk.column), column("sla_state"), past, soon, column(stamp) if stamp else ""
    )


def _scan_postgresql(q: _ScanSql, params: dict, want_ids: bool) -> tuple[dict[str, int], list]:
    """One UPDATE writes each changed clock once, with its final state: a running clock past its
    deadline becomes overdue (from on time or due soon), an on-time clock past its due-soon day
    becomes due soon (or overdue, if past its deadline too). Each condition is a range over one
    date column (an index on (state, date) or a partial index on running clocks serves it). The
    counts, and the ids of the newly overdue, are aggregated in the database."""
    sets = [f"{q.state} = CASE WHEN {q.past} THEN %(overdue)s ELSE %(due_soon)s END"]
    if q.stamp:
        sets.append(f"{q.stamp} = CASE WHEN {q.past} THEN %(stamp)s ELSE {q.stamp} END")
    ids = "array_agg(id ORDER BY id) FILTER (WHERE st = %(overdue)s)" if want_ids else "NULL"
    with connection.cursor() as cur:
        cur.execute(
            # Quoted names and fixed conditions only; every value is a parameter.
            f"WITH moved(id, st) AS (UPDATE {q.table} SET {', '.join(sets)} "  # noqa: S608
            f"WHERE ({q.state} IN (%(on_time)s, %(due_soon)s) AND {q.past}) "
            f"OR ({q.state} = %(on_time)s AND {q.soon}) RETURNING {q.pk}, {q.state}) "
            f"SELECT st, count(*), {ids} FROM moved GROUP BY st",
            params,
        )
        rows = cur.fetchall()
    counts = {st: n for st, n, _ids in rows}
    return counts, [pk for _st, _n, pks in rows for pk in pks or []]


def _scan_other(q: _ScanSql, params: dict, want_ids: bool) -> tuple[dict[str, int], list]:
    """Elsewhere (SQLite): two UPDATEs, overdue first, counted by the database; only the ids of
    the newly overdue come back (RETURNING), and only when a hook wants them."""
    stamp = f", {q.stamp} = %(stamp)s" if q.stamp else ""
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {q.table} SET {q.state} = %(overdue)s{stamp} "  # noqa: S608 - as above
            f"WHERE {q.state} IN (%(on_time)s, %(due_soon)s) AND {q.past}"
            + (f" RETURNING {q.pk}" if want_ids else ""),
            params,
        )
        ids = sorted(pk for (pk,) in cur.fetchall()) if want_ids else []
        overdue = len(ids) if want_ids else cur.rowcount
        cur.execute(
            f"UPDATE {q.table} SET {q.state} = %(due_soon)s WHERE {q.state} = %(on_time)s AND {q.soon}",  # noqa: S608
            params,
        )
        due_soon = cur.rowcount
    return {SlaState.OVERDUE: overdue, SlaState.DUE_SOON: due_soon}, ids


def sla_scan(
    *, on: dt.date | None = None, now: dt.datetime | None = None, chunk: int = 5000
) -> dict[str, dict[str, int]]:
    """Move running clocks to due-soon / overdue as of ``now`` (or the start of the day ``on``;
    default: now); return counts per model. One set-based UPDATE per model writes only the
    clocks whose state changes (``_scan_postgresql``; two on SQLite); models with hour clocks compare ``sla_due_at`` /
    ``sla_due_soon_at``, the others ``sla_deadline`` / ``sla_due_soon_on``. The database
    returns the counts and, for a model with ``on_overdue``, the ids of the newly overdue: no
    other row comes to Python."""
    if now is None:
        now = _start_of_day(on) if on is not None else timezone.now()
    on = on or timezone.localdate(now)
    report: dict[str, dict[str, int]] = {}
    params = {
        "on": on,
        "now": now,
        "stamp": timezone.now(),
        "on_time": SlaState.ON_TIME.value,
        "due_soon": SlaState.DUE_SOON.value,
        "overdue": SlaState.OVERDUE.value,
    }
    for reg in CLOCKS.items():
        scan = _scan_postgresql if connection.vendor == "postgresql" else _scan_other
        with transaction.atomic():
            counts, newly_overdue = scan(
                _scan_sql(reg.model, reg.overdue_stamp), params, want_ids=reg.on_overdue is not None
            )
        if reg.on_overdue and newly_overdue:
            size = reg.chunk or chunk
            for start in range(0, len(newly_overdue), size):
                reg.on_overdue(newly_overdue[start : start + size])
        report[reg.model._meta.label_lower] = {
            "overdue": counts.get(SlaState.OVERDUE, 0),
            "due_soon": counts.get(SlaState.DUE_SOON, 0),
        }
    return report
