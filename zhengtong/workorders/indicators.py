"""The 12345 hotline's indicators for the cockpit (registered by ``wiring.install``): citizens'
work orders received, closed, on time, repeated, how fast they were answered and how satisfied
the requesters were. Rectification orders are the platform's own and are not counted."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import Indicator, days_of, grouped_rows, local_range, register_indicator
from zhengtong.workorders.models import CATEGORIES, CITIZEN_KINDS, WorkOrder


def _orders():
    return WorkOrder.objects.filter(kind__in=CITIZEN_KINDS)


def _between(field: str, day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    return _orders().filter(**{f"{field}__gte": a, f"{field}__lt": b})


def received(day_from, day_to):
    return grouped_rows(
        _between("created_at", day_from, day_to),
        day="created_at",
        path="region__path",
        num=Count("id"),
        dims={"category": "category", "department": "department_id"},
    )


def closed(day_from, day_to):
    return grouped_rows(
        _between("closed_at", day_from, day_to),
        day="closed_at",
        path="region__path",
        num=Count("id"),
        dims={"department": "department_id"},
    )


def on_time(day_from, day_to):
    qs = _between("closed_at", day_from, day_to).annotate(_done=TruncDate("closed_at"))
    return grouped_rows(
        qs,
        day="closed_at",
        path="region__path",
        num=Count("id", filter=Q(sla_deadline__isnull=True) | Q(sla_deadline__gte=F("_done"))),
        den=Count("id"),
        dims={"department": "department_id"},
    )


def repeats(day_from, day_to):
    return grouped_rows(
        _between("created_at", day_from, day_to),
        day="created_at",
        path="region__path",
        num=Count("id", filter=Q(merged_into__isnull=False)),
        den=Count("id"),
    )


def reply_hours(day_from, day_to):
    """Mean hours from submission to reply, on the day of the reply (durations summed in Python:
    date arithmetic differs between SQLite and PostgreSQL)."""
    sums: dict[tuple, list[float]] = {}
    tz = timezone.get_current_timezone()
    qs = _between("replied_at", day_from, day_to).values_list(
        "replied_at", "created_at", "region__path", "department_id"
    )
    for replied, created, path, dept in qs:
        hours = (replied - created).total_seconds() / 3600
        for dim in ("", f"department:{dept}" if dept else None):
            if dim is not None:
                acc = sums.setdefault((replied.astimezone(tz).date(), path, dim), [0.0, 0.0])
                acc[0] += hours
                acc[1] += 1
    return [(d, p, dim, round(n, 6), m) for (d, p, dim), (n, m) in sums.items()]


def satisfaction(day_from, day_to):
    return grouped_rows(
        _between("closed_at", day_from, day_to).filter(satisfaction__isnull=False),
        day="closed_at",
        path="region__path",
        num=Sum("satisfaction"),
        den=Count("id"),
        dims={"department": "department_id"},
    )


def records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    a, b = local_range(day_from, day_to)
    qs = (
        _orders()
        .filter(region__path__startswith=path, created_at__gte=a, created_at__lt=b)
        .select_related("region")
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "ref": o.number,
            "at": o.created_at,
            "state": o.state,
            "label": o.category_label,
            "path": o.region.path,
        }
        for o in qs
    ]


def labels(dimension: str, keys: list[str]) -> dict[str, str]:
    return {k: str(CATEGORIES.get(k, k)) for k in keys} if dimension == "category" else {}


def changed(since: dt.datetime) -> set[dt.date]:
    qs = _orders()
    return (
        days_of(qs.filter(created_at__gte=since), "created_at")
        | days_of(qs.filter(closed_at__gte=since), "closed_at")
        | days_of(qs.filter(replied_at__gte=since), "replied_at")
    )


def install() -> None:
    common = {
        "owner": "12345",
        "domain": "hotline",
        "records": records,
        "changed_days": changed,
        "labels": labels,
        "dimensions": ("region", "department", "day"),
    }
    register_indicator(
        Indicator(
            code="hotline.received",
            name="12345受理量",
            name_en="Hotline requests received",
            definition=_("Citizens' consultations, requests, suggestions, complaints and reports received."),
            formula="count(WorkOrder of a citizen kind, by created_at)",
            unit="件",
            kind="count",
            direction="down",
            compute=received,
            **{**common, "dimensions": ("region", "category", "department", "day")},
        )
    )
    register_indicator(
        Indicator(
            code="hotline.closed",
            name="12345办结量",
            name_en="Hotline requests closed",
            definition=_("Citizens' work orders closed."),
            formula="count(WorkOrder of a citizen kind, by closed_at)",
            unit="件",
            kind="count",
            direction="up",
            compute=closed,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="hotline.on_time_rate",
            name="12345按期办结率",
            name_en="Hotline on-time rate",
            definition=_("Share of closed work orders closed within their time limit."),
            formula="count(closed on or before sla_deadline) / count(closed) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(95.0, 85.0),
            compute=on_time,
            weight=0.15,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="hotline.repeat_rate",
            name="重复投诉率",
            name_en="Repeat request rate",
            definition=_("Share of work orders merged into an earlier one about the same matter."),
            formula="count(merged) / count(received) × 100",
            unit="%",
            kind="ratio",
            direction="down",
            thresholds=(10.0, 20.0),
            compute=repeats,
            **{**common, "dimensions": ("region", "day")},
        )
    )
    register_indicator(
        Indicator(
            code="hotline.reply_hours",
            name="平均答复时长",
            name_en="Average hours to reply",
            definition=_("Mean time from submission to the department's reply."),
            formula="sum(replied_at - created_at) / count(replied), in hours",
            unit="小时",
            kind="mean",
            direction="down",
            thresholds=(48.0, 96.0),
            compute=reply_hours,
            weight=0.05,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="hotline.satisfaction",
            name="12345满意度",
            name_en="Hotline satisfaction",
            definition=_("Mean satisfaction given at the call-back (1 to 5)."),
            formula="sum(satisfaction) / count(called back with a score)",
            unit="分",
            kind="mean",
            direction="up",
            thresholds=(4.5, 4.0),
            compute=satisfaction,
            **common,
        )
    )
