"""Routing of incidents: the grid domain of the one routing table (workorders.RoutingRule)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zhengtong.accounts import selectors as account_selectors
from zhengtong.grid.models import Category, Incident
from zhengtong.workorders import services as workorder_services

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department, OrgUnit
    from zhengtong.workorders.models import RoutingRule


def routing_rule_create(
    *, actor: Any, org_unit: OrgUnit, category: Category | None = None, department=None, target_unit=None
) -> RoutingRule:
    """Route incidents of ``category`` (None: any category) at ``org_unit`` and below to
    ``department`` or to ``target_unit`` (a township): a rule of the one routing table,
    ``workorders.RoutingRule`` in the grid domain (needs grid.manage at ``org_unit``)."""
    return workorder_services.routing_rule_set(
        actor=actor,
        domain=workorder_services.RoutingDomain.GRID,
        category=category.code if category is not None else "",
        region=org_unit,
        department=department,
        target_unit=target_unit,
    )


def route(incident: Incident) -> tuple[Department | None, OrgUnit | None]:
    """Where an incident goes: the most specific routing rule for its category and location
    (``workorders.services.route_for``, grid domain), else the category's default department
    kind in its county, else its township."""
    path = (
        incident.org_unit.path
        if incident.org_unit.path
        else account_selectors.org_unit_by_id(incident.org_unit_id).path
    )
    rule = workorder_services.route_for(
        domain=workorder_services.RoutingDomain.GRID, category=incident.category.code, region_path=path
    )
    if rule is not None:
        return rule.department, rule.target_unit
    kind = incident.category.department_kind
    if kind:
        dept = account_selectors.department_of_kind(org_unit_id=incident.county_id, kind=kind)
        if dept is not None:
            return dept, None
    return None, account_selectors.org_unit_by_id(incident.township_id)
