"""Reads of the accounts module, scoped by the actor's grants."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhengtong.accounts.models import Department, OrgUnit, RoleGrant, User, UserKind
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


# --- Accounts and org units as other apps read them (registry: identity, imports) ----------


def user_is_citizen(user: Any) -> bool:
    """Whether ``user`` is a citizen account (the kind that verifies a resident identity)."""
    return getattr(user, "kind", None) == UserKind.CITIZEN


def user_is_enterprise_agent(user: Any) -> bool:
    """Whether ``user`` is an enterprise agent's account (the kind that acts for a legal entity)."""
    return getattr(user, "kind", None) == UserKind.ENTERPRISE


def resident_id_verified_by_other(resident_id: str, *, user: Any) -> bool:
    """Whether an account other than ``user`` is already verified with ``resident_id``."""
    return User.objects.filter(resident_id=resident_id).exclude(pk=user.pk).exists()


def org_units_by_code() -> dict[str, OrgUnit]:
    """Every org unit, by its code (for bulk imports that name units by code)."""
    return {u.code: u for u in OrgUnit.objects.all()}


def departments_by_unit_and_code() -> dict[tuple[int, str], Department]:
    """Every department, by (org unit id, department code) (for bulk imports)."""
    return {(d.org_unit_id, d.code): d for d in Department.objects.all()}


def user_with_username(username: str) -> User | None:
    """The account with this username, or None."""
    return User.objects.filter(username=username).first()


def org_unit_with_code(code: str) -> OrgUnit | None:
    """The org unit with this region code, or None (``org_unit_get`` raises NotFound instead)."""
    return OrgUnit.objects.filter(code=code).first()


def org_units_at_level(level: str) -> QuerySet[OrgUnit]:
    """The org units of one level ("province", "city", "county", "township", ...), by code."""
    return OrgUnit.objects.filter(level=level).order_by("code")


def org_units_with_codes(codes: list[str]) -> QuerySet[OrgUnit]:
    """The org units with these region codes, by code."""
    return OrgUnit.objects.filter(code__in=codes).order_by("code")


def department_with_code(unit: OrgUnit, code: str) -> Department | None:
    """The department ``code`` of an org unit, or None."""
    return Department.objects.filter(org_unit=unit, code=code).first()
