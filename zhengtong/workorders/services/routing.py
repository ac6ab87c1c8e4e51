"""Routing of work orders and grid incidents: the platform's one routing table (``RoutingRule``,
by domain), resolving a rule, and writing rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.workorders import selectors
from zhengtong.workorders.models import ROUTING_PERMISSIONS, RoutingDomain, RoutingRule

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department, OrgUnit


def default_unit(region: OrgUnit) -> OrgUnit:
    """The office that dispatches when no rule matches: the region's township (街道/乡镇), or the
    county when the region is a county or above."""
    unit = region
    while unit.level in ("village", "grid") and unit.parent_id:
        unit = unit.parent
    return unit


def _path_prefixes(path: str) -> list[str]:
    prefixes = []
    while path:
        prefixes.append(path)
        path = path[: path.rstrip("/").rfind("/") + 1]
    return prefixes


def route_for(
    *, domain: str, category: str, region_path: str, broader: tuple[str, ...] = ()
) -> RoutingRule | None:
    """The routing rule for ``category`` at the region with ``region_path`` (or a unit above it):
    a rule for the category beats one for a ``broader`` category (a work order's first level),
    which beats one for any category; then the deepest region wins; None when no rule applies.
    One indexed query; work orders and grid incidents both route through it."""
    codes = [category, *broader, ""]
    rules = list(
        RoutingRule.objects.filter(
            domain=domain, category__in=codes, region__path__in=_path_prefixes(region_path)
        )
        .select_related("department__org_unit", "target_unit", "region")
        .order_by("-region__depth", "id")
    )
    # Most specific category first, then the deepest region (the query's order, kept by sort).
    rules.sort(key=lambda r: codes.index(r.category))
    return rules[0] if rules else None


def route(category: str, region: OrgUnit) -> Department | None:
    """The department of the most specific routing rule for the second-level ``category`` at
    ``region`` or above: a rule for the category itself, else one for its first level (GB/T
    39666 大类), else one for any category."""
    first = selectors.category_first_level(category)
    rule = route_for(
        domain=RoutingDomain.WORK_ORDERS,
        category=category,
        region_path=region.path,
        broader=(first,) if first != category else (),
    )
    return rule.department if rule else None


# -- routing rules -----------------------------------------------------------------------------


def routing_rule_set(
    *,
    actor: Any,
    category: str,
    region: OrgUnit,
    department: Department | None = None,
    target_unit: OrgUnit | None = None,
    domain: str = RoutingDomain.WORK_ORDERS,
) -> RoutingRule:
    """Create or change the rule for (domain, category, region): to ``department`` or to
    ``target_unit`` (exactly one), which must cover the region or sit above it. Work-order rules
    name a category (second level, or a first level for all its second-level codes) and a
    department; grid rules a grid category code or ""
    (any category; grid.services checks the code). Needs the domain's routing permission at the
    region; audited as ``workorders.routing_rule.set``."""
    if domain not in RoutingDomain.values:
        raise ValidationError.for_field("domain", _("unknown routing domain"))
    ensure_can(actor, ROUTING_PERMISSIONS[domain], region)
    if domain == RoutingDomain.WORK_ORDERS and category not in selectors.category_labels():
        raise ValidationError.for_field("category", _("unknown category “%s”") % category)
    if (department is None) == (target_unit is None):
        raise ValidationError.for_field("department", _("choose a department or a township, not both"))
    if domain == RoutingDomain.WORK_ORDERS and department is None:
        raise ValidationError.for_field("department", _("is required"))
    target_path = department.org_unit.path if department is not None else target_unit.path
    if not target_path.startswith(region.path) and not region.path.startswith(target_path):
        raise ValidationError.for_field("department", _("must belong to the region or a unit above it"))
    with transaction.atomic():
        rule, created = RoutingRule.objects.update_or_create(
            domain=domain,
            category=category,
            region=region,
            defaults={"department": department, "target_unit": target_unit},
        )
        audit.record(
            actor=actor,
            action="workorders.routing_rule.set",
            target=rule,
            org_unit=region,
            after={
                **({"domain": domain} if domain != RoutingDomain.WORK_ORDERS else {}),
                "category": category,
                "region": region.code,
                **({"department": department.name} if department else {"unit": target_unit.code}),
            },
        )
    return rule


def routing_rule_delete(*, actor: Any, rule: RoutingRule) -> None:
    ensure_can(actor, ROUTING_PERMISSIONS[rule.domain], rule.region)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="workorders.routing_rule.delete",
            target=rule,
            org_unit=rule.region,
            before={"category": rule.category, "region": rule.region.code},
        )
        rule.delete()
