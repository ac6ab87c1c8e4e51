"""Reads of work orders: citizens see their own; staff see their scope (units and departments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from zhengtong.accounts.permissions import can_on, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.workorders.models import CATEGORIES, RoutingDomain, RoutingRule, WorkOrder

FILTERS = ("state", "kind", "category", "sla_state")


def worklist(user: Any, *, filters: dict[str, str] | None = None, q: str = "") -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.filter(
        scope_q(user, "workorders.view", department_field="department")
    ).select_related("org_unit", "department", "region")
    for key, value in (filters or {}).items():
        if key in FILTERS and value:
            qs = qs.filter(**{key: value})
    if q:
        qs = qs.filter(Q(number=q.strip()) | Q(title__contains=q.strip()))
    return qs


def worklist_counts(user: Any) -> dict[str, int]:
    rows = (
        WorkOrder.objects.filter(scope_q(user, "workorders.view", department_field="department"))
        .values("state")
        .annotate(n=Count("id"))
    )
    counts = {row["state"]: row["n"] for row in rows}
    overdue = WorkOrder.objects.filter(
        scope_q(user, "workorders.view", department_field="department"), sla_state="overdue"
    ).count()
    return {**counts, "overdue": overdue}


def work_order_for_staff(user: Any, number: str) -> WorkOrder:
    order = (
        WorkOrder.objects.select_related("org_unit", "department", "region", "requester", "merged_into")
        .filter(number=number)
        .first()
    )
    if order is None or not can_on(user, "workorders.view", order):
        raise NotFound("no such work order")
    return order


def mine(user: Any) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(requester_id=user.pk).select_related("department", "org_unit")


def my_work_order(user: Any, number: str) -> WorkOrder:
    order = mine(user).select_related("merged_into").filter(number=number).first()
    if order is None:
        raise NotFound("no such work order")
    return order


def routing_rules(domain: str = RoutingDomain.WORK_ORDERS) -> QuerySet[RoutingRule]:
    """The routing rules of one domain (work orders by default; grid incidents share the table)."""
    return (
        RoutingRule.objects.filter(domain=domain)
        .select_related("region", "department", "target_unit")
        .order_by("category", "region__path")
    )


def overdue_work_orders(user: Any, *, limit: int = 20) -> list[WorkOrder]:
    """Open work orders past their deadline in the user's scope, earliest deadline first (the
    workspace's 督办 view lists them)."""
    return list(
        WorkOrder.objects.filter(
            scope_q(user, "workorders.view", department_field="department"), sla_state="overdue"
        )
        .exclude(state__in=("replied", "called_back", "closed"))
        .select_related("org_unit", "department")
        .order_by("sla_deadline", "id")[:limit]
    )


def work_order_states(numbers: list[str]) -> dict[str, dict[str, Any]]:
    """State, time-limit state and closing time of the work orders with these numbers, by number
    (for modules tracking orders they opened, e.g. the cockpit's rectifications)."""
    rows = WorkOrder.objects.filter(number__in=numbers).values("number", "state", "sla_state", "closed_at")
    return {r["number"]: r for r in rows}


def category_codes() -> list[str]:
    """The codes of the fixed work-order category list (for modules that open work orders)."""
    return list(CATEGORIES)


# --- 12345 analysis (hotspots and trends) -------------------------------------------------------


def analysis(user: Any, *, days: int = 30, today: dt.date | None = None) -> dict[str, Any]:
    """Hotspots and trends of the work orders in the user's scope opened in the last ``days``
    days: counts by category, by region (the requester's unit) and by day, the hotspots
    (category × region with the most), the share of 12345 calls answered directly from the
    knowledge base (its use rate), the call-back rate and the 不满意 share of call-backs. Grouped
    in the database (one query per figure)."""
    days = max(1, min(int(days), 366))
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    qs = WorkOrder.objects.filter(
        scope_q(user, "workorders.view", department_field="department"), created_at__gte=since
    ).exclude(kind="rectification")
    by_category = [
        {"code": r["category"], "label": str(CATEGORIES.get(r["category"], r["category"])), "count": r["n"]}
        for r in qs.values("category").annotate(n=Count("id")).order_by("-n", "category")
    ]
    by_region = [
        {"code": r["region__code"], "label": r["region__name"], "count": r["n"]}
        for r in qs.values("region__code", "region__name")
        .annotate(n=Count("id"))
        .order_by("-n", "region__code")[:20]
    ]
    per_day = {
        r["day"]: r["n"]
        for r in qs.annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("id"))
    }
    trend = [
        {
            "day": (start + dt.timedelta(days=i)).isoformat(),
            "count": per_day.get(start + dt.timedelta(days=i), 0),
        }
        for i in range(days)
    ]
    hotspots = [
        {
            "category": str(CATEGORIES.get(r["category"], r["category"])),
            "region": r["region__name"],
            "count": r["n"],
        }
        for r in qs.values("category", "region__name").annotate(n=Count("id")).order_by("-n", "category")[:10]
    ]
    totals = qs.aggregate(
        total=Count("id"),
        calls=Count("id", filter=Q(channel="hotline")),
        direct=Count("id", filter=Q(channel="hotline", answered_directly=True)),
        answered=Count("id", filter=Q(replied_at__isnull=False, answered_directly=False)),
        called_back=Count("id", filter=Q(satisfaction__isnull=False)),
        dissatisfied=Count("id", filter=Q(satisfaction__lte=settings.WORKORDERS_DISSATISFIED_MAX)),
    )

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "days": days,
        "since": start.isoformat(),
        "total": totals["total"],
        "by_category": by_category,
        "by_region": by_region,
        "trend": trend,
        "hotspots": hotspots,
        "hotline_calls": totals["calls"],
        "answered_directly": totals["direct"],
        "knowledge_use_rate": share(totals["direct"], totals["calls"]),
        "callback_rate": share(totals["called_back"], totals["answered"]),
        "dissatisfied_share": share(totals["dissatisfied"], totals["called_back"]),
    }
