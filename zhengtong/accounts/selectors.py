"""Reads of the accounts module, scoped by the actor's grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.models import Credential, Department, OrgUnit, RoleGrant, User
from zhengtong.accounts.permissions import scope_roots, subtree_q
from zhengtong.accounts.roles import ROLES
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
    grants = (
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(valid_until__lte=timezone.now())
        .select_related("org_unit")
    )
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


def credentials_of(*, owner: Any, kind: str) -> QuerySet[Credential]:
    """A user's credentials of one kind (live and revoked), newest first."""
    return Credential.objects.filter(owner=owner, kind=kind).order_by("-created_at", "-id")


def credentials_in(*, roots: list[str], kind: str) -> QuerySet[Credential]:
    """Credentials of one kind issued to org units in the subtrees ``roots`` (paths; ``[""]``
    is everything), newest first."""
    qs = Credential.objects.filter(kind=kind).select_related("org_unit")
    if "" not in roots:
        cond = Q(pk__in=[])
        for root in roots:
            cond |= subtree_q(root, "org_unit__path")
        qs = qs.filter(cond)
    return qs.order_by("-created_at", "-id")


def _ancestor_paths(org_path: str) -> list[str]:
    parts = [p for p in org_path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def holders_of(
    permission: str, org_path: str, *, department: Any = None, nearest: bool = False
) -> list[User]:
    """The active users holding a role with ``permission`` at the unit ``org_path`` or one of its
    ancestors, through grants that are neither revoked nor past ``valid_until``.

    As in ``permissions.can``: with a ``department`` (a Department or its pk), a grant limited to
    another department does not count; with None, every grant counts. With ``nearest``, only the
    holders at the deepest unit that has any are returned (escalation goes to the nearest
    supervisors first). Users are ordered by the depth of their grant (deepest first), then id;
    each appears once.
    """
    roles = [code for code, role in ROLES.items() if role.permissions & {permission, "*"}]
    paths = _ancestor_paths(org_path)
    if not roles or not paths:
        return []
    dept_id = getattr(department, "pk", department)
    dept_q = Q() if dept_id is None else Q(department__isnull=True) | Q(department_id=dept_id)
    grants = (
        RoleGrant.objects.filter(role__in=roles, revoked_at__isnull=True, org_unit__path__in=paths)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
        .filter(dept_q, user__is_active=True)
        .select_related("user", "org_unit")
        .order_by("-org_unit__depth", "user_id")
    )
    users: dict[int, User] = {}
    depth = None
    for grant in grants:
        if nearest and depth is not None and grant.org_unit.depth != depth:
            break
        depth = grant.org_unit.depth
        users.setdefault(grant.user_id, grant.user)
    return list(users.values())


# --- for the portal ---------------------------------------------------------------------------


def org_unit_count() -> int:
    """How many org units the installation has (the public home page's figure)."""
    return OrgUnit.objects.count()


def active_user(pk: int | None) -> User | None:
    """The active user with this id, or None (e.g. the user half-way through a TOTP sign-in)."""
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


def credential_of(*, owner: Any, kind: str, pk: int) -> Credential:
    """One of the owner's own credentials of this kind; NotFound for anyone else's."""
    credential = Credential.objects.filter(pk=pk, owner=owner, kind=kind).first()
    if credential is None:
        raise NotFound(_("no such credential"))
    return credential
