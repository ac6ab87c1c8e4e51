"""The grid module's indicators for the cockpit (registered by ``wiring.install``): incidents
received and closed down to the grid, on time, how long disposal takes, and where by category."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import (
    Indicator,
    changed_days_of,
    count_rows,
    days_between,
    duration_rows,
    on_time_rows,
    records_of,
    register_indicator,
)
from zhengtong.grid.models import Category, Incident
from zhengtong.registry.selectors import persons_alive_by_unit

PATH = "org_unit__path"
DEPARTMENT = {"department": "handling_department_id"}


def _incidents():
    return Incident.objects.exclude(state="merged")


def received(day_from, day_to):
    return count_rows(
        _incidents(),
        day_from,
        day_to,
        day="reported_at",
        path=PATH,
        dims={"category": "category__code", **DEPARTMENT},
    )


def closed(day_from, day_to):
    return count_rows(_incidents(), day_from, day_to, day="closed_at", path=PATH, dims=DEPARTMENT)


def on_time(day_from, day_to):
    return on_time_rows(_incidents(), day_from, day_to, done="closed_at", path=PATH, dims=DEPARTMENT)


def disposal_hours(day_from, day_to):
    return duration_rows(
        _incidents(),
        day_from,
        day_to,
        start="reported_at",
        end="disposed_at",
        path=PATH,
        dim=("department", "handling_department_id"),
    )


# Incidents per 1,000 residents are given per year: a day's numerator is its incidents × 1,000 ×
# 365 and its denominator the residents, so any period's figure (Σ num / Σ den) is the annual rate
# at that period's pace, and both add up the org tree like every other figure.
PER_YEAR = 1000.0 * 365


def per_thousand(day_from, day_to):
    """Every day of the period at every unit with residents (zero incidents included) or with
    incidents. Residents are today's count in the population registry (人口库): it keeps no history."""
    residents = persons_alive_by_unit()
    incidents: dict[dt.date, dict[str, float]] = {}
    for day, path, dim, num, _den in count_rows(_incidents(), day_from, day_to, day="reported_at", path=PATH):
        if not dim:
            incidents.setdefault(day, {})[path] = num
    out = []
    for day in days_between(day_from, day_to):
        today = incidents.get(day, {})
        for path in set(residents) | set(today):
            n, r = today.get(path, 0.0), float(residents.get(path, 0))
            if n or r:
                out.append((day, path, "", n * PER_YEAR, r))
    return out


def _record(i: Incident) -> dict:
    return {
        "ref": i.token[:10],
        "at": i.reported_at,
        "state": i.state,
        "label": i.category.name,
        "path": i.org_unit.path,
    }


def records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    qs = Incident.objects.select_related("category", "org_unit")
    return records_of(qs, path, day_from, day_to, limit, at="reported_at", path_field=PATH, row=_record)


def labels(dimension: str, keys: list[str]) -> dict[str, str]:
    if dimension != "category":
        return {}
    return dict(Category.objects.filter(code__in=keys).values_list("code", "name"))


def changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(
        Incident.objects, since, days=("reported_at", "closed_at", "disposed_at"), updated="updated_at"
    )


def install() -> None:
    common = {
        "owner": "command",
        "domain": "grid",
        "records": records,
        "changed_days": changed,
        "labels": labels,
        "dimensions": ("region", "department", "day"),
    }
    register_indicator(
        Indicator(
            code="grid.received",
            name="事件受理量",
            name_en="Incidents received",
            definition=_("Incidents reported by grid workers, citizens and the hotline."),
            formula="count(Incident by reported_at, merged ones excluded)",
            unit="件",
            kind="count",
            direction="down",
            compute=received,
            **{**common, "dimensions": ("region", "category", "department", "day")},
            methodology=_(
                "Counted at the grid where the incident happened; the category breakdown is the hot-spot list."
            ),
        )
    )
    register_indicator(
        Indicator(
            code="grid.per_thousand_residents",
            name="千人事件数",
            name_en="Incidents per 1,000 residents",
            definition=_(
                "Incidents reported per 1,000 residents registered in the population registry, per year."
            ),
            formula="count(Incident by reported_at) × 1,000 × 365 / (residents × days in the period)",
            unit="件/千人·年",
            kind="mean",
            direction="down",
            compute=per_thousand,
            **{**common, "dimensions": ("region", "day")},
            methodology=_(
                "Residents are the living persons the population registry holds at or below the unit today "
                "(it keeps no history); the figure is annualised so that periods of any length compare."
            ),
        )
    )
    register_indicator(
        Indicator(
            code="grid.closed",
            name="事件办结量",
            name_en="Incidents closed",
            definition=_("Incidents closed after verification."),
            formula="count(Incident by closed_at)",
            unit="件",
            kind="count",
            direction="up",
            compute=closed,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="grid.on_time_rate",
            name="事件按期办结率",
            name_en="Incident on-time rate",
            definition=_("Share of closed incidents closed by their deadline."),
            formula="count(closed on or before sla_deadline) / count(closed) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(95.0, 85.0),
            compute=on_time,
            weight=0.1,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="grid.disposal_hours",
            name="平均处置时长",
            name_en="Average disposal hours",
            definition=_("Mean time from report to disposal."),
            formula="sum(disposed_at - reported_at) / count(disposed), in hours",
            unit="小时",
            kind="mean",
            direction="down",
            thresholds=(24.0, 72.0),
            compute=disposal_hours,
            weight=0.05,
            **common,
        )
    )
