"""Reads of work orders: citizens see their own; staff see their scope (units and departments)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

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
