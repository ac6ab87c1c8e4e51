"""Reads of work orders: citizens see their own; staff see their scope (units and departments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language

from zhengtong.accounts.permissions import can_on, scope_q
from zhengtong.core import cache
from zhengtong.core.errors import NotFound
from zhengtong.workorders.categories import CACHE_NAMESPACE
from zhengtong.workorders.models import Category, RoutingDomain, RoutingRule, WorkOrder

FILTERS = ("state", "kind", "category", "sla_state")


def worklist(user: Any, *, filters: dict[str, str] | None = None, q: str = "") -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.filter(
        scope_q(user, "workorders.view", department_field="department")
    ).select_related("org_unit", "department", "region")
    for key, value in (filters or {}).items():
        if key == "category" and len(value) == 2:  # a first level: all its second-level codes
            qs = qs.filter(category__startswith=value)
        elif key in FILTERS and value:
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


# --- categories (two levels, GB/T 39666) -----------------------------------------------------


def _category_rows() -> list[dict[str, Any]]:
    return list(
        Category.objects.order_by("order", "code").values("code", "name", "name_en", "parent__code", "active")
    )


def categories() -> list[dict[str, Any]]:
    """Every category, first and second level, in display order: code, name, name_en,
    parent__code ("" or None for the first level) and active. One cached read (core.cache, per
    process too), invalidated by the writes in ``workorders.categories``."""
    return cache.cached(CACHE_NAMESPACE, "all", _category_rows, timeout=300, local=True)


def _label(row: dict[str, Any]) -> str:
    return row["name_en"] if (get_language() or "").startswith("en") else row["name"]


def category_label(code: str) -> str:
    """The name of ``code`` in the active language; the code itself when unknown."""
    for row in categories():
        if row["code"] == code:
            return _label(row)
    return code


def category_labels(codes: list[str] | None = None) -> dict[str, str]:
    """Code → name in the active language, for ``codes`` (all when None)."""
    rows = categories()
    return {r["code"]: _label(r) for r in rows if codes is None or r["code"] in codes}


def category_codes() -> list[str]:
    """The codes a new work order may take: the active second-level categories under an active
    first level (for modules that open work orders and validate a code)."""
    rows = categories()
    active_top = {r["code"] for r in rows if not r["parent__code"] and r["active"]}
    return [r["code"] for r in rows if r["parent__code"] in active_top and r["active"]]


def category_tree() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The selectable categories under their first level, in display order: [(first-level code,
    first-level name, [(code, name), ...]), ...]; first levels without a selectable child are
    left out."""
    rows = categories()
    selectable = set(category_codes())
    tree = []
    for top in rows:
        if top["parent__code"] or not top["active"]:
            continue
        children = [
            (r["code"], _label(r))
            for r in rows
            if r["parent__code"] == top["code"] and r["code"] in selectable
        ]
        if children:
            tree.append((top["code"], _label(top), children))
    return tree


def category_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """``category_tree`` in the shape of Django's grouped ``choices`` (one <optgroup> per first
    level): [(first-level name, [(code, name), ...]), ...]."""
    return [(top, children) for _code, top, children in category_tree()]


def category_list() -> list[dict[str, Any]]:
    """The whole list for the people who keep it: each first level in display order with its
    second-level categories, every one with ``code``, ``label`` (active language), ``active``
    (its own flag) and ``open`` (whether new work orders may take it: its own flag and, at the
    second level, its first level's)."""
    rows = categories()
    out = []
    for top in rows:
        if top["parent__code"]:
            continue
        children = [
            {
                "code": r["code"],
                "label": _label(r),
                "active": r["active"],
                "open": r["active"] and top["active"],
            }
            for r in rows
            if r["parent__code"] == top["code"]
        ]
        out.append(
            {
                "code": top["code"],
                "label": _label(top),
                "active": top["active"],
                "open": top["active"],
                "children": children,
            }
        )
    return out


def category_first_level(code: str) -> str:
    """The first-level code a category belongs to (its own code at the first level)."""
    for row in categories():
        if row["code"] == code:
            return row["parent__code"] or code
    return code[:2]


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
    labels = category_labels()
    by_category = [
        {"code": r["category"], "label": labels.get(r["category"], r["category"]), "count": r["n"]}
        for r in qs.values("category").annotate(n=Count("id")).order_by("-n", "category")
    ]
    # First level: the first two digits of the second-level code (GB/T 39666's code structure).
    by_group: dict[str, int] = {}
    for row in by_category:
        top = category_first_level(row["code"])
        by_group[top] = by_group.get(top, 0) + row["count"]
    by_first_level = [
        {"code": code, "label": labels.get(code, code), "count": n}
        for code, n in sorted(by_group.items(), key=lambda kv: (-kv[1], kv[0]))
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
            "category": labels.get(r["category"], r["category"]),
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
        "by_first_level": by_first_level,
        "by_region": by_region,
        "trend": trend,
        "hotspots": hotspots,
        "hotline_calls": totals["calls"],
        "answered_directly": totals["direct"],
        "knowledge_use_rate": share(totals["direct"], totals["calls"]),
        "callback_rate": share(totals["called_back"], totals["answered"]),
        "dissatisfied_share": share(totals["dissatisfied"], totals["called_back"]),
    }
