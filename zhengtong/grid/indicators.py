"""The grid module's indicators for the cockpit (registered by ``wiring.install``): incidents
received and closed down to the grid, on time, how long disposal takes, and where by category."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import Indicator, days_of, grouped_rows, local_range, register_indicator
from zhengtong.grid.models import Category, Incident


def _between(field: str, day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    return Incident.objects.filter(**{f"{field}__gte": a, f"{field}__lt": b}).exclude(state="merged")


def received(day_from, day_to):
    return grouped_rows(
        _between("reported_at", day_from, day_to),
        day="reported_at",
        path="org_unit__path",
        num=Count("id"),
        dims={"category": "category__code", "department": "handling_department_id"},
    )


def closed(day_from, day_to):
    return grouped_rows(
        _between("closed_at", day_from, day_to),
        day="closed_at",
        path="org_unit__path",
        num=Count("id"),
        dims={"department": "handling_department_id"},
    )


def on_time(day_from, day_to):
    qs = _between("closed_at", day_from, day_to).annotate(_done=TruncDate("closed_at"))
    return grouped_rows(
        qs,
        day="closed_at",
        path="org_unit__path",
        num=Count("id", filter=Q(sla_deadline__isnull=True) | Q(sla_deadline__gte=F("_done"))),
        den=Count("id"),
        dims={"department": "handling_department_id"},
    )


def disposal_hours(day_from, day_to):
    """Mean hours from report to disposal, on the day of disposal (summed in Python)."""
    sums: dict[tuple, list[float]] = {}
    tz = timezone.get_current_timezone()
    rows = _between("disposed_at", day_from, day_to).values_list(
        "disposed_at", "reported_at", "org_unit__path", "handling_department_id"
    )
    for disposed, reported, path, dept in rows:
        hours = (disposed - reported).total_seconds() / 3600
        for dim in ("", f"department:{dept}" if dept else None):
            if dim is not None:
                acc = sums.setdefault((disposed.astimezone(tz).date(), path, dim), [0.0, 0.0])
                acc[0] += hours
                acc[1] += 1
    return [(d, p, dim, round(n, 6), m) for (d, p, dim), (n, m) in sums.items()]


def records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    a, b = local_range(day_from, day_to)
    qs = (
        Incident.objects.filter(org_unit__path__startswith=path, reported_at__gte=a, reported_at__lt=b)
        .select_related("category", "org_unit")
        .order_by("-reported_at")[:limit]
    )
    return [
        {
            "ref": i.token[:10],
            "at": i.reported_at,
            "state": i.state,
            "label": i.category.name,
            "path": i.org_unit.path,
        }
        for i in qs
    ]


def labels(dimension: str, keys: list[str]) -> dict[str, str]:
    if dimension != "category":
        return {}
    return dict(Category.objects.filter(code__in=keys).values_list("code", "name"))


def changed(since: dt.datetime) -> set[dt.date]:
    qs = Incident.objects.filter(updated_at__gte=since)
    return (
        days_of(qs, "reported_at")
        | days_of(qs.exclude(closed_at=None), "closed_at")
        | days_of(qs.exclude(disposed_at=None), "disposed_at")
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
