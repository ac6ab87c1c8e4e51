"""Reads of the accounts module, scoped by the actor's grants."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhengtong.accounts.models import Department, OrgUnit, RoleGrant
from zhengtong.accounts.permissions import scope_roots, subtree_q
from zhengtong.core.errors import NotFound


def org_unit_get(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound(_("no org unit with region code %s") % code)
    return unit


def org_unit_subtree(unit: OrgUnit, *, max_depth: int | None = None) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.filter(subtree_q(unit.path))
    if max_depth is not None:
        qs = qs.filter(depth__lte=unit.depth + max_depth)
    return qs.order_by("path")


def org_tree(units: list[OrgUnit]) -> list[dict[str, Any]]:
    """Nest a path-ordered list of units into a tree of dicts."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for unit in units:
        node = {
            "code": unit.code,
            "name": unit.name,
            "name_en": unit.name_en,
            "level": unit.level,
            "children": [],
        }
        nodes[unit.pk] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots


def user_scope_units(user: Any, perm: str | None = None) -> list[OrgUnit]:
    """The top org units of a user's scope (for any permission when ``perm`` is None)."""
    if getattr(user, "is_superuser", False):
        return list(OrgUnit.objects.filter(parent__isnull=True))
    grants = RoleGrant.objects.filter(user=user, revoked_at__isnull=True).select_related("org_unit")
    paths = scope_roots(user, perm) if perm else None
    units = {g.org_unit.path: g.org_unit for g in grants if paths is None or g.org_unit.path in paths}
    roots = [u for p, u in sorted(units.items()) if not any(p != q and p.startswith(q) for q in units)]
    return roots


def user_grants(user: Any) -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("org_unit", "department")
        .order_by("org_unit__path", "role")
    )


def departments_in(unit: OrgUnit, *, subtree: bool = True) -> QuerySet[Department]:
    qs = Department.objects.select_related("org_unit")
    qs = qs.filter(subtree_q(unit.path, "org_unit__path")) if subtree else qs.filter(org_unit=unit)
    return qs.filter(is_active=True).order_by("org_unit__path", "code")
