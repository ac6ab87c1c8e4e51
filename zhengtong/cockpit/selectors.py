"""Reads of the indicator store, each a constant number of queries whatever the data volume: a
unit's figures are its own stored rows (every unit holds the sum of its subtree), so no query
scans raw records. Callers check ``cockpit.view`` at the unit first (services.dashboard)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import CharField, F, FloatField, Q, Sum, Value
from django.db.models.functions import Cast

from zhengtong.accounts import selectors as account_selectors
from zhengtong.cockpit.models import Alert, Evaluation, Feed, FeedWindow, IndicatorValue, OpenDataIndex
from zhengtong.core.indicators import Indicator, indicator, indicators

# Kinds whose value without stored rows is 0 (nothing counted), not "no value".
ZERO_KINDS = ("count", "per_day")


@dataclass(frozen=True)
class Period:
    day_from: dt.date
    day_to: dt.date

    @property
    def days(self) -> int:
        return (self.day_to - self.day_from).days + 1

    @property
    def previous(self) -> Period:
        end = self.day_from - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    @classmethod
    def ending(cls, day_to: dt.date, days: int) -> Period:
        return cls(day_to - dt.timedelta(days=days - 1), day_to)


def _fmt(ind: Indicator, num: float, den: float, days: int = 1) -> float | None:
    return ind.value(num or 0.0, den or 0.0, days)


def headline(path: str, period: Period) -> list[dict]:
    """Every indicator at the unit ``path``: value this period, the previous period, the change and
    the threshold band. One query."""
    prev = period.previous
    cur_q = Q(day__gte=period.day_from)
    rows = (
        IndicatorValue.objects.filter(path=path, dim="", day__gte=prev.day_from, day__lte=period.day_to)
        .values("code")
        .annotate(
            cn=Sum("num", filter=cur_q),
            cd=Sum("den", filter=cur_q),
            pn=Sum("num", filter=~cur_q),
            pd=Sum("den", filter=~cur_q),
        )
        .order_by()
    )
    by_code = {r["code"]: r for r in rows}
    out = []
    for ind in indicators():
        r = by_code.get(ind.code, {})
        value = _fmt(ind, r.get("cn"), r.get("cd"), period.days)
        previous = _fmt(ind, r.get("pn"), r.get("pd"), prev.days)
        change = None if value is None or previous is None else round(value - previous, 2)
        better = None
        if change:
            better = (change > 0) == (ind.direction == "up")
        out.append(
            {
                "indicator": ind,
                "code": ind.code,
                "value": value,
                "previous": previous,
                "change": change,
                "better": better,
                "band": ind.band(value),
            }
        )
    return out


def trend(path: str, code: str, period: Period) -> list[dict]:
    """Daily values of one indicator at one unit (zero-count days included)."""
    ind = indicator(code)
    rows = {
        r["day"]: r
        for r in IndicatorValue.objects.filter(
            path=path, code=code, dim="", day__gte=period.day_from, day__lte=period.day_to
        ).values("day", "num", "den")
    }
    out = []
    for i in range(period.days):
        day = period.day_from + dt.timedelta(days=i)
        r = rows.get(day)
        out.append(
            {
                "day": day,
                "value": _fmt(ind, r["num"], r["den"]) if r else (0.0 if ind.kind in ZERO_KINDS else None),
            }
        )
    return out


def children(unit, code: str, period: Period, *, level: str | None = None) -> list[dict]:
    """One indicator at each unit directly below ``unit`` (the league of regions), or at each
    unit of ``level`` inside it (the map of counties of a province): two queries (the units,
    their figures)."""
    ind = indicator(code)
    if level is None:
        units = list(account_selectors.org_unit_subtree(unit, max_depth=1).exclude(pk=unit.pk))
        where = Q(parent_path=unit.path)
    else:
        units = list(account_selectors.org_units_at_levels([level], within=unit.path))
        where = Q(path__in=[u.path for u in units])
    sums = {
        r["path"]: r
        for r in IndicatorValue.objects.filter(
            where, code=code, dim="", day__gte=period.day_from, day__lte=period.day_to
        )
        .values("path")
        .annotate(cn=Sum("num"), cd=Sum("den"))
        .order_by()
    }
    return _units_of(ind, units, sums, period)


def breakdown(
    path: str, code: str, dimension: str, period: Period, *, limit: int = 20, largest_first: bool = False
) -> list[dict]:
    """One indicator at one unit by a dimension ("department", "category", "grade", "colour"),
    best first for the league table (largest first for hot spots): one query (and one for the
    names of the values)."""
    ind = indicator(code)
    prefix = f"{dimension}:"
    rows = (
        IndicatorValue.objects.filter(
            path=path, code=code, dim__startswith=prefix, day__gte=period.day_from, day__lte=period.day_to
        )
        .values("dim")
        .annotate(n=Sum("num"), d=Sum("den"))
        .order_by()
    )
    items = [(r["dim"][len(prefix) :], _fmt(ind, r["n"], r["d"], period.days)) for r in rows]
    names: dict[str, str] = {}
    if dimension == "department":
        ids = [int(k) for k, _v in items if k.isdigit()]
        names = {str(k): v for k, v in account_selectors.department_names(ids).items()}
    elif ind.labels is not None:
        names = ind.labels(dimension, [k for k, _v in items])
    out = [
        {"key": k, "name": names.get(k, k), "value": v, "band": ind.band(v)}
        for k, v in items
        if v is not None
    ]
    out.sort(key=lambda r: r["value"], reverse=largest_first or ind.direction == "up")
    return out[:limit]


def _part(tag: str, qs, key, period: Period, *, split: dt.date | None = None):
    """One member of the page's union: (part, k, cn, cd, pn, pd) grouped by ``key``; with
    ``split``, the current period's sums (day ≥ split) and the previous period's."""
    zero = Value(0.0, output_field=FloatField())
    if split is not None:
        cur = Q(day__gte=split)
        sums = {
            "cn": Sum("num", filter=cur),
            "cd": Sum("den", filter=cur),
            "pn": Sum("num", filter=~cur),
            "pd": Sum("den", filter=~cur),
        }
    else:
        sums = {"cn": Sum("num"), "cd": Sum("den"), "pn": zero, "pd": zero}
    return (
        qs.filter(day__lte=period.day_to)
        .annotate(part=Value(tag, output_field=CharField()), k=key)
        .values("part", "k")
        .annotate(**sums)
        .order_by()
    )


def page_figures(unit, period: Period, code: str, *, counties: list | None, hot_code: str | None) -> dict:
    """Everything a unit's cockpit page reads from the store, in ONE query (a UNION ALL of the
    headline, the chosen indicator's trend, its value at the units below, its league of
    departments, the hot spots and, for a province or city, the counties), plus the units below
    and the names of the breakdown values: the same figures as ``headline``, ``trend``,
    ``children`` and ``breakdown``, with fewer round trips to the database."""
    ind = indicator(code)
    base = IndicatorValue.objects.filter(day__gte=period.day_from)
    parts = [
        _part(
            "h",
            IndicatorValue.objects.filter(path=unit.path, dim="", day__gte=period.previous.day_from),
            F("code"),
            period,
            split=period.day_from,
        ),
        _part("t", base.filter(path=unit.path, code=code, dim=""), Cast("day", CharField()), period),
        _part("r", base.filter(parent_path=unit.path, code=code, dim=""), F("path"), period),
        _part("d", base.filter(path=unit.path, code=code, dim__startswith="department:"), F("dim"), period),
    ]
    if hot_code:
        parts.append(
            _part(
                "s", base.filter(path=unit.path, code=hot_code, dim__startswith="category:"), F("dim"), period
            )
        )
    if counties:
        parts.append(
            _part("c", base.filter(path__in=[u.path for u in counties], code=code, dim=""), F("path"), period)
        )
    by: dict[str, dict[str, dict]] = {}
    for r in parts[0].union(*parts[1:], all=True):
        by.setdefault(r["part"], {})[r["k"]] = r
    units = list(account_selectors.org_unit_subtree(unit, max_depth=1).exclude(pk=unit.pk))
    return {
        "figures": _headline_of(by.get("h", {}), period),
        "trend": _trend_of(ind, by.get("t", {}), period),
        "regions": _units_of(ind, units, by.get("r", {}), period),
        "departments": _breakdown_of(ind, "department", by.get("d", {}), period),
        "counties": _units_of(ind, counties or [], by.get("c", {}), period),
        "hot_spots": _breakdown_of(
            indicator(hot_code), "category", by.get("s", {}), period, limit=10, largest_first=True
        )
        if hot_code
        else [],
    }


def _headline_of(by_code: dict, period: Period) -> list[dict]:
    prev = period.previous
    out = []
    for ind in indicators():
        r = by_code.get(ind.code, {})
        value = _fmt(ind, r.get("cn"), r.get("cd"), period.days)
        previous = _fmt(ind, r.get("pn"), r.get("pd"), prev.days)
        change = None if value is None or previous is None else round(value - previous, 2)
        better = None
        if change:
            better = (change > 0) == (ind.direction == "up")
        out.append(
            {
                "code": ind.code,
                "value": value,
                "previous": previous,
                "change": change,
                "better": better,
                "band": ind.band(value),
            }
        )
    return out


def _trend_of(ind: Indicator, by_day: dict, period: Period) -> list[dict]:
    out = []
    for i in range(period.days):
        day = period.day_from + dt.timedelta(days=i)
        r = by_day.get(day.isoformat())
        out.append(
            {
                "day": day,
                "value": _fmt(ind, r["cn"], r["cd"]) if r else (0.0 if ind.kind in ZERO_KINDS else None),
            }
        )
    return out


def _units_of(ind: Indicator, units: list, by_path: dict, period: Period) -> list[dict]:
    out = []
    for u in units:
        r = by_path.get(u.path, {})
        value = _fmt(ind, r.get("cn"), r.get("cd"), period.days)
        if value is None and ind.kind in ZERO_KINDS:
            value = 0.0
        out.append(
            {
                "unit": u,
                "code": u.code,
                "name": u.name,
                "path": u.path,
                "value": value,
                "band": ind.band(value),
            }
        )
    return out


def _breakdown_of(
    ind: Indicator,
    dimension: str,
    by_dim: dict,
    period: Period,
    *,
    limit: int = 20,
    largest_first: bool = False,
) -> list[dict]:
    prefix = f"{dimension}:"
    items = [(k[len(prefix) :], _fmt(ind, r["cn"], r["cd"], period.days)) for k, r in by_dim.items()]
    names: dict[str, str] = {}
    if dimension == "department":
        ids = [int(k) for k, _v in items if k.isdigit()]
        names = {str(k): v for k, v in account_selectors.department_names(ids).items()} if ids else {}
    elif ind.labels is not None and items:
        names = ind.labels(dimension, [k for k, _v in items])
    out = [
        {"key": k, "name": names.get(k, k), "value": v, "band": ind.band(v)}
        for k, v in items
        if v is not None
    ]
    out.sort(key=lambda r: r["value"], reverse=largest_first or ind.direction == "up")
    return out[:limit]


def dimensions_of(code: str) -> list[str]:
    ind = indicator(code)
    return [d for d in (ind.dimensions if ind else ()) if d not in ("region", "day")]


def alerts_at(path: str, *, limit: int = 20) -> list[Alert]:
    """Open alerts of the unit's subtree, newest first."""
    return list(
        Alert.objects.filter(org_unit__path__startswith=path, acknowledged_at__isnull=True)
        .select_related("org_unit")
        .order_by("-day", "-id")[:limit]
    )


def evaluations_at(unit, *, limit: int = 10) -> list[Evaluation]:
    return list(Evaluation.objects.filter(org_unit=unit).order_by("-period_end", "-id")[:limit])


def evaluation_detail(evaluation: Evaluation) -> dict:
    scores = list(evaluation.scores.select_related("org_unit").order_by("rank"))
    rectifications = list(evaluation.rectifications.select_related("org_unit").order_by("score", "id"))
    return {"evaluation": evaluation, "scores": scores, "rectifications": rectifications}


def open_data_index(period_end: dt.date | None = None) -> list[OpenDataIndex]:
    qs = OpenDataIndex.objects.select_related("org_unit")
    if period_end is None:
        latest = qs.order_by("-period_end").values_list("period_end", flat=True).first()
        if latest is None:
            return []
        period_end = latest
    return list(qs.filter(period_end=period_end).order_by("-total"))


def live_windows(path: str, *, limit: int = 12) -> list[FeedWindow]:
    """The latest window of each station of the active feeds in the unit's subtree."""
    latest = list(
        FeedWindow.objects.filter(feed__is_active=True, feed__org_unit__path__startswith=path)
        .select_related("feed")
        .order_by("-start", "key")[: limit * 4]
    )
    seen: set[tuple[int, str]] = set()
    out = []
    for w in latest:
        if (w.feed_id, w.key) not in seen:
            seen.add((w.feed_id, w.key))
            out.append(w)
    return out[:limit]


def feeds_in(roots: list[str]) -> list:
    """The feeds at or below the paths ``roots`` ([""]: every feed), with their latest windows."""
    qs = Feed.objects.select_related("org_unit", "department", "credential")
    if "" not in roots:
        cond = Q(pk__in=[])
        for root in roots:
            cond |= Q(org_unit__path__startswith=root)
        qs = qs.filter(cond)
    return list(qs.order_by("code"))


def feed_events(feed, *, limit: int = 20) -> list:
    return list(feed.events.order_by("-created_at", "-id")[:limit])
