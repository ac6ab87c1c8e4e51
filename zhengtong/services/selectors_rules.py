"""Reads for the staff pages of 秒批 rules and 免申即享 benefits: the items and benefits in the
reader's ``services.manage_catalogue`` scope, their rule versions, audit history and proposals."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from zhengtong.accounts.permissions import can, ensure_authenticated, scope_q
from zhengtong.audit import selectors as audit_selectors
from zhengtong.core.errors import NotFound
from zhengtong.core.masking import mask_name
from zhengtong.services.models import Benefit, DecisionRuleSet, Entitlement, ServiceItem

PERM = "services.manage_catalogue"


def rule_items_for_staff(user: Any) -> QuerySet[ServiceItem]:
    """Items in scope with a published version, each with its active rule set (or none)."""
    ensure_authenticated(user)
    return (
        ServiceItem.objects.filter(scope_q(user, PERM, department_field="department"))
        .filter(current_version__isnull=False)
        .select_related("department", "current_version")
        .prefetch_related(
            Prefetch(
                "current_version__decision_rule_sets",
                queryset=DecisionRuleSet.objects.filter(is_active=True),
                to_attr="active_rules",
            )
        )
        .order_by("code")
    )


def rule_item_for_staff(user: Any, code: str) -> ServiceItem:
    item = (
        ServiceItem.objects.select_related("department", "org_unit", "current_version")
        .filter(code=code)
        .first()
    )
    if item is None or not can(user, PERM, item.org_unit, item.department):
        raise NotFound("no such item")
    return item


def rule_sets_of(item: ServiceItem) -> list[DecisionRuleSet]:
    """Every rule version of every version of the item, newest first."""
    return list(
        DecisionRuleSet.objects.filter(version__item=item)
        .select_related("version")
        .order_by("-version__number", "-number")
    )


def rule_history(item: ServiceItem) -> list:
    """The audit trail of the item's rules: publications (who, when, which version)."""
    return list(
        audit_selectors.audit_history_of("services.serviceitem", str(item.pk), ("services.rules.publish",))[
            :50
        ]
    )


def benefits_for_staff(user: Any) -> QuerySet[Benefit]:
    ensure_authenticated(user)
    return (
        Benefit.objects.filter(
            scope_q(user, PERM, path_field="item__org_unit__path", department_field="item__department")
        )
        .select_related("item")
        .annotate(n_proposed=Count("entitlements"))
        .order_by("code")
    )


def benefit_for_staff(user: Any, code: str) -> Benefit:
    benefit = Benefit.objects.select_related("item__org_unit", "item__department").filter(code=code).first()
    if benefit is None or not can(user, PERM, benefit.item.org_unit, benefit.item.department):
        raise NotFound("no such benefit")
    return benefit


def benefit_counts(benefit: Benefit) -> dict[str, int]:
    rows = Entitlement.objects.filter(benefit=benefit).values("state").annotate(n=Count("id"))
    return {r["state"]: r["n"] for r in rows}


def benefit_proposals(benefit: Benefit, *, state: str = "", limit: int = 50) -> list[dict]:
    """The latest proposals, the holder's name masked (staff see who, not the full name)."""
    qs = Entitlement.objects.filter(benefit=benefit).select_related("person", "entity").order_by("-id")
    if state in Entitlement.State.values:
        qs = qs.filter(state=state)
    out = []
    for e in qs[:limit]:
        holder = e.person.name if e.person_id else (e.entity.name if e.entity_id else "")
        out.append(
            {
                "holder": mask_name(holder) if e.person_id else holder,
                "state": e.get_state_display(),
                "rule_number": e.rule_number,
                "proposed_at": e.proposed_at,
                "decided_at": e.decided_at,
            }
        )
    return out


def benefit_history(benefit: Benefit) -> list:
    return list(
        audit_selectors.audit_history_of(
            "services.benefit", str(benefit.pk), ("services.benefit.publish", "services.benefit.scan")
        )[:50]
    )
