"""The indicator registry: each module declares the figures it can compute, once, and the cockpit
materializes, shows, evaluates and publishes them without knowing the module.

Kept in core (like ``core.nav``) so every module can contribute from its ``wiring.py`` without
importing the cockpit (the arrows keep pointing down):

    from zhengtong.core.indicators import Indicator, register_indicator
    register_indicator(Indicator(code="grid.received", ..., compute=received_rows))

An indicator's ``compute(day_from, day_to)`` returns rows ``(day, org_path, dim, num, den)`` for
every day in the closed range that has data: ``org_path`` is the deepest org unit the data knows
(a grid, a township, a county); ``dim`` is ``""`` for the total and ``"<dimension>:<value>"`` for
a breakdown row (``"department:12"``, ``"category:urban"``). Numerator and denominator add up,
across days and up the org tree, so one stored row per day and unit serves any period and any
ancestor: the value is ``num`` (count), ``num / den`` (mean) or ``100 * num / den`` (ratio, in %).

``records(path, day_from, day_to, limit)`` lists the underlying records of a unit's subtree for
the drill-through (no personal data: number, date, state, label); ``changed_days(since)`` says
which days may have changed since a moment (rows updated since then), so materialization is
incremental; None means "the days from ``since`` to today".

The helpers below are the one way a module's ``indicators.py`` writes the usual figures (records
of a period, counts, shares, on-time rates, mean durations, changed days, drill-through rows), so
the modules declare *what* they count and not again *how*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Extract, TruncDate
from django.utils import timezone
from django.utils.functional import Promise

from zhengtong.core import hooks

Row = tuple[dt.date, str, str, float, float]

KINDS = ("count", "ratio", "mean", "per_day")
DIRECTIONS = ("up", "down")  # up: higher is better
FREQUENCIES = ("hourly", "daily", "monthly")


@dataclass(frozen=True)
class Indicator:
    code: str  # "<module>.<name>"
    name: str  # Chinese name (the published one)
    name_en: str
    domain: str  # services | hotline | grid | opendata | sharing | codes | economy | environment | platform
    definition: str | Promise
    formula: str  # over the platform's data, in words a reader can check
    unit: str  # "件", "%", "小时", "工作日", "分", "kWh", "μg/m³"
    kind: str  # count | ratio | mean | per_day (Σnum / days of the period: a daily mean)
    direction: str  # up | down
    owner: str  # department kind responsible ("zwfw", "dsj", "sthj"...)
    compute: Callable[[dt.date, dt.date], Iterable[Row]]
    frequency: str = "daily"
    dimensions: tuple[str, ...] = ("region", "day")
    # (warning, alert) in value units: for "up" indicators a value below them, for "down" above.
    thresholds: tuple[float, float] | None = None
    methodology: str | Promise = ""
    records: Callable[[str, dt.date, dt.date, int], list[dict]] | None = None
    changed_days: Callable[[dt.datetime], set[dt.date]] | None = None
    # Names of breakdown values: (dimension, keys) -> {key: name} ("category", ["E0101"] -> ...).
    labels: Callable[[str, list[str]], dict[str, str]] | None = None
    # The weight this indicator has by default in a performance evaluation (0: not evaluated).
    weight: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    def value(self, num: float, den: float, days: int = 1) -> float | None:
        """The figure for numerator and denominator summed over ``days`` days (None when a ratio
        has no base). ``per_day``: the daily mean of a count that does not add up over days
        (distinct users: each day's count adds up over units, the period shows their mean)."""
        if self.kind == "per_day":
            return round(num / max(1, days), 2)
        if self.kind == "count":
            # Whole counts read as counts (5034, not 5034.0); sums of measures keep two decimals.
            return int(num) if float(num).is_integer() else round(num, 2)
        if not den:
            return None
        return round((100.0 if self.kind == "ratio" else 1.0) * num / den, 2)

    def band(self, value: float | None) -> str:
        """ "ok", "warning" or "alert" against the thresholds ("" without thresholds or value)."""
        if value is None or self.thresholds is None:
            return ""
        warning, alert = self.thresholds
        worse = (lambda v, t: v < t) if self.direction == "up" else (lambda v, t: v > t)
        if worse(value, alert):
            return "alert"
        if worse(value, warning):
            return "warning"
        return "ok"


INDICATORS = hooks.registry(
    "core.indicators",
    doc="Indicators modules compute for the cockpit, keyed by code (`core.indicators.register_indicator`).",
)


def register_indicator(indicator: Indicator) -> Indicator:
    """Declare ``indicator`` (from the module's wiring); the same code again replaces it."""
    if indicator.kind not in KINDS:
        raise ValueError(f"indicator {indicator.code}: kind must be one of {KINDS}")
    if indicator.direction not in DIRECTIONS:
        raise ValueError(f"indicator {indicator.code}: direction must be one of {DIRECTIONS}")
    if indicator.frequency not in FREQUENCIES:
        raise ValueError(f"indicator {indicator.code}: frequency must be one of {FREQUENCIES}")
    if "." not in indicator.code or len(indicator.code) > 64:
        raise ValueError(
            f"indicator code {indicator.code!r} must be '<module>.<name>', at most 64 characters"
        )
    return INDICATORS.add(indicator.code, indicator)


def indicators() -> list[Indicator]:
    """Every registered indicator, in registration order."""
    return INDICATORS.items()


def indicator(code: str) -> Indicator | None:
    return INDICATORS.get(code)


def days_between(day_from: dt.date, day_to: dt.date) -> list[dt.date]:
    return [day_from + dt.timedelta(days=i) for i in range((day_to - day_from).days + 1)]


def grouped_rows(
    qs,
    *,
    day: str,
    path: str,
    num,
    den=None,
    dims: dict[str, str] | None = None,
    day_is_date: bool = False,
) -> list[Row]:
    """Rows of ``qs`` (already filtered to the period) grouped by local day of the field ``day``
    and by the org path in ``path``: ``num`` and ``den`` are aggregate expressions; ``dims`` maps
    a dimension name to a field whose values break the figure down (``{"department": "department_id"}``).
    The total rows come first, then one set of breakdown rows per dimension."""
    day_expr = F(day) if day_is_date else TruncDate(day)
    base = qs.annotate(_d=day_expr, _p=F(path))
    aggs = {"_n": num, "_m": den if den is not None else Value(0)}
    out: list[Row] = [
        (r["_d"], r["_p"], "", float(r["_n"] or 0), float(r["_m"] or 0))
        for r in base.values("_d", "_p").annotate(**aggs).order_by()
        if r["_p"]
    ]
    for name, fieldname in (dims or {}).items():
        out += [
            (r["_d"], r["_p"], f"{name}:{r[fieldname]}", float(r["_n"] or 0), float(r["_m"] or 0))
            for r in base.values("_d", "_p", fieldname).annotate(**aggs).order_by()
            if r["_p"] and r[fieldname] not in (None, "")
        ]
    return out


def days_of(qs, field: str, *, is_date: bool = False) -> set[dt.date]:
    """The distinct local days of ``field`` in ``qs`` (for ``changed_days``)."""
    expr = F(field) if is_date else TruncDate(field)
    return {d for d in qs.annotate(_d=expr).values_list("_d", flat=True).distinct().order_by() if d}


def local_range(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of ``day_from``, start of the day after ``day_to``) in the local time zone, for
    filtering a datetime field to whole local days: ``field__gte=a, field__lt=b``."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


class RowSums:
    """Rows summed in Python (durations, JSON contents, calendar arithmetic: what portable SQL
    cannot aggregate): ``add(day, path, num, den, department=12, grade="A")`` adds to the total row
    and to one breakdown row per non-empty keyword; ``rows()`` returns them."""

    def __init__(self) -> None:
        self._sums: dict[tuple[dt.date, str, str], list[float]] = {}

    def add(self, day: dt.date, path: str, num: float, den: float = 0.0, **dims) -> None:
        self._add(day, path, num, den, [""], dims)

    def add_breakdown(self, day: dt.date, path: str, num: float, den: float = 0.0, **dims) -> None:
        """Only to the breakdown rows (when the total counts something once that several
        breakdown values share: a user active on two channels)."""
        self._add(day, path, num, den, [], dims)

    def _add(self, day, path, num, den, keys: list[str], dims: dict) -> None:
        if not path:
            return
        keys = keys + [f"{name}:{value}" for name, value in dims.items() if value not in (None, "")]
        for key in keys:
            acc = self._sums.setdefault((day, path, key), [0.0, 0.0])
            acc[0] += num
            acc[1] += den

    def rows(self) -> list[Row]:
        return [(d, p, key, round(n, 6), m) for (d, p, key), (n, m) in self._sums.items()]


def in_period(qs, field: str, day_from: dt.date, day_to: dt.date, *, is_date: bool = False):
    """``qs`` filtered to the local days [day_from, day_to] of the datetime (or date) ``field``."""
    if is_date:
        return qs.filter(**{f"{field}__gte": day_from, f"{field}__lte": day_to})
    a, b = local_range(day_from, day_to)
    return qs.filter(**{f"{field}__gte": a, f"{field}__lt": b})


def count_rows(
    qs,
    day_from: dt.date,
    day_to: dt.date,
    *,
    day: str,
    path: str,
    dims: dict[str, str] | None = None,
    is_date: bool = False,
) -> list[Row]:
    """How many records of ``qs`` fall on each day of the period (field ``day``), per unit."""
    return grouped_rows(
        in_period(qs, day, day_from, day_to, is_date=is_date),
        day=day,
        path=path,
        num=Count("id"),
        dims=dims,
        day_is_date=is_date,
    )


def share_rows(
    qs,
    day_from: dt.date,
    day_to: dt.date,
    *,
    day: str,
    path: str,
    where: Q,
    dims: dict[str, str] | None = None,
) -> list[Row]:
    """Records matching ``where`` over all records of the day (a ``ratio`` indicator)."""
    return grouped_rows(
        in_period(qs, day, day_from, day_to),
        day=day,
        path=path,
        num=Count("id", filter=where),
        den=Count("id"),
        dims=dims,
    )


def on_time_rows(
    qs,
    day_from: dt.date,
    day_to: dt.date,
    *,
    done: str,
    path: str,
    deadline: str = "sla_deadline",
    dims: dict[str, str] | None = None,
) -> list[Row]:
    """Records finished (``done``, a datetime) on or before their ``deadline`` (a date; none
    counts as on time) over all records finished that day: the on-time rate."""
    qs = in_period(qs, done, day_from, day_to).annotate(_done_day=TruncDate(done))
    on_time = Q(**{f"{deadline}__isnull": True}) | Q(**{f"{deadline}__gte": F("_done_day")})
    return grouped_rows(qs, day=done, path=path, num=Count("id", filter=on_time), den=Count("id"), dims=dims)


def duration_rows(
    qs,
    day_from: dt.date,
    day_to: dt.date,
    *,
    start: str,
    end: str,
    path: str,
    dim: tuple[str, str] | None = None,
    seconds: float = 3600.0,
) -> list[Row]:
    """The mean time from ``start`` to ``end`` (in units of ``seconds``: hours by default), on the
    local day of ``end``; ``dim`` is (dimension name, field) for a breakdown. On PostgreSQL summed
    in SQL (``extract(epoch from end - start)``); elsewhere in Python, since date arithmetic
    differs between the databases."""
    qs = in_period(qs, end, day_from, day_to)
    if connection.vendor == "postgresql":
        span = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
        return grouped_rows(
            qs.exclude(**{f"{start}__isnull": True}),
            day=end,
            path=path,
            num=Sum(Extract(span, "epoch") / Value(float(seconds))),
            den=Count("id"),
            dims=dict([dim]) if dim else None,
        )
    tz = timezone.get_current_timezone()
    sums = RowSums()
    fields = [end, start, path] + ([dim[1]] if dim else [])
    for row in qs.exclude(**{f"{start}__isnull": True}).values_list(*fields).order_by().iterator(5000):
        breakdown = {dim[0]: row[3]} if dim else {}
        sums.add(
            row[0].astimezone(tz).date(),
            row[2],
            (row[0] - row[1]).total_seconds() / seconds,
            1.0,
            **breakdown,
        )
    return sums.rows()


def changed_days_of(
    qs, since: dt.datetime, *, days: tuple[str, ...], updated: str | None = None, is_date: bool = False
) -> set[dt.date]:
    """The days an indicator over ``qs`` must recompute since ``since``: the local days of the
    ``days`` fields of the rows changed since then (``updated``: their modification time), or,
    without such a field, of the rows whose ``days`` field itself is at or after ``since``."""
    out: set[dt.date] = set()
    for name in days:
        rows = qs.filter(**{f"{updated or name}__gte": since})
        out |= days_of(rows.exclude(**{name: None}), name, is_date=is_date)
    return out


def records_of(
    qs,
    path: str,
    day_from: dt.date,
    day_to: dt.date,
    limit: int,
    *,
    at: str,
    path_field: str,
    row: Callable[[object], dict],
    is_date: bool = False,
) -> list[dict]:
    """The drill-through: the newest ``limit`` records of the unit ``path``'s subtree in the
    period (by ``at``), each turned into ``{"ref", "at", "state", "label", "path"}`` by ``row``.
    A record on a workflow shows its state's name (``state_label``, translated), not its code;
    ``state_code`` keeps the code for machine readers."""
    qs = in_period(qs.filter(**{f"{path_field}__startswith": path}), at, day_from, day_to, is_date=is_date)
    out = []
    for obj in qs.order_by(f"-{at}")[:limit]:
        record = row(obj)
        name = getattr(obj, "state_label", None)
        if isinstance(name, str) and name and "state" in record:
            record["state_code"], record["state"] = record["state"], name
        out.append(record)
    return out
