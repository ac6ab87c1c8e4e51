"""The 12345 hotline's indicators for the cockpit (registered by ``wiring.install``): citizens'
work orders received, closed, on time, repeated, how fast they were answered and how satisfied
the requesters were. Rectification orders are the platform's own and are not counted."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import (
    Indicator,
    changed_days_of,
    count_rows,
    duration_rows,
    grouped_rows,
    in_period,
    on_time_rows,
    records_of,
    register_indicator,
)
from zhengtong.workorders import selectors
from zhengtong.workorders.models import CITIZEN_KINDS, WorkOrder

PATH = "region__path"
DEPARTMENT = {"department": "department_id"}


def _orders():
    return WorkOrder.objects.filter(kind__in=CITIZEN_KINDS)


def received(day_from, day_to):
    return count_rows(
        _orders(),
        day_from,
        day_to,
        day="created_at",
        path=PATH,
        dims={"category": "category", **DEPARTMENT},
    )


def closed(day_from, day_to):
    return count_rows(_orders(), day_from, day_to, day="closed_at", path=PATH, dims=DEPARTMENT)


def on_time(day_from, day_to):
    return on_time_rows(_orders(), day_from, day_to, done="closed_at", path=PATH, dims=DEPARTMENT)


def repeats(day_from, day_to):
    return grouped_rows(
        in_period(_orders(), "created_at", day_from, day_to),
        day="created_at",
        path=PATH,
        num=Count("id", filter=Q(merged_into__isnull=False)),
        den=Count("id"),
    )


def reply_hours(day_from, day_to):
    """Mean hours from submission to reply, on the day of the reply."""
    return duration_rows(
        _orders(),
        day_from,
        day_to,
        start="created_at",
        end="replied_at",
        path=PATH,
        dim=("department", "department_id"),
    )


def satisfaction(day_from, day_to):
    return grouped_rows(
        in_period(_orders(), "closed_at", day_from, day_to).filter(satisfaction__isnull=False),
        day="closed_at",
        path=PATH,
        num=Sum("satisfaction"),
        den=Count("id"),
        dims=DEPARTMENT,
    )


def _record(o: WorkOrder) -> dict:
    return {
        "ref": o.number,
        "at": o.created_at,
        "state": o.state,
        "label": o.category_label,
        "path": o.region.path,
    }


def records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    qs = _orders().select_related("region")
    return records_of(qs, path, day_from, day_to, limit, at="created_at", path_field=PATH, row=_record)


def labels(dimension: str, keys: list[str]) -> dict[str, str]:
    if dimension != "category":
        return {}
    names = selectors.category_labels()
    return {k: names.get(k, k) for k in keys}


def changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(_orders(), since, days=("created_at", "closed_at", "replied_at"))


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
