"""The one permission mechanism: role grants at org units, valid in their subtrees.

Service functions call ``ensure_can`` (or ``can_on`` for an object); selectors filter with
``scope_q``. Views never decide permissions on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.models import OrgUnit, RoleGrant
from zhengtong.accounts.roles import ROLES
from zhengtong.core.errors import AuthenticationRequired, PermissionDenied


@dataclass(frozen=True)
class Grant:
    role: str
    path: str
    department_id: int | None
    permissions: frozenset[str]

    def allows(self, perm: str) -> bool:
        return "*" in self.permissions or perm in self.permissions


EVERYTHING = Q(pk__isnull=False)  # a condition that is always true and still combines with |


def subtree_q(path: str, field: str = "path") -> Q:
    """All rows whose path is ``path`` or below it.

    PostgreSQL: a prefix LIKE, served by a ``varchar_pattern_ops`` index whatever the database
    collation. SQLite: the range [path, path with its last "/" replaced by "0"), which its
    byte-order (BINARY) collation serves from a plain index ("/" sorts just before "0").
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": path})
    return Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})


def in_subtree(path: str, ancestor_path: str) -> bool:
    return path.startswith(ancestor_path)


def grants_of(user: Any) -> list[Grant]:
    """Active grants of a user, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_zt_grants", None)
    if cached is not None:
        return cached
    now = timezone.now()
    rows = (
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .values_list("role", "org_unit__path", "department_id")
    )
    grants = [
        Grant(role, path, dept, frozenset(ROLES[role].permissions))
        for role, path, dept in rows
        if role in ROLES
    ]
    user._zt_grants = grants
    return grants


def forget_grants(user: Any) -> None:
    if hasattr(user, "_zt_grants"):
        del user._zt_grants


def _is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def can(user: Any, perm: str, org_unit: Any = None, department: Any = None) -> bool:
    """Whether ``user`` holds ``perm`` at ``org_unit`` (anywhere, when None).

    A grant limited to a department applies only to objects of that department; an object with
    no department is judged by the grant's org scope.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if _is_superuser(user):
        return True
    dept_id = getattr(department, "pk", department)
    for grant in grants_of(user):
        if not grant.allows(perm):
            continue
        if org_unit is not None and not in_subtree(org_unit.path, grant.path):
            continue
        if grant.department_id is not None and dept_id is not None and grant.department_id != dept_id:
            continue
        return True
    return False


def can_on(user: Any, perm: str, obj: Any) -> bool:
    """``can`` for an object that has an ``org_unit`` (and maybe a ``department``)."""
    return can(user, perm, getattr(obj, "org_unit", None), getattr(obj, "department", None))


def ensure_authenticated(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise AuthenticationRequired(_("please log in"))


def ensure_can(user: Any, perm: str, org_unit: Any = None, department: Any = None) -> None:
    ensure_authenticated(user)
    if not can(user, perm, org_unit, department):
        where = f" ({org_unit.name})" if org_unit is not None else ""
        raise PermissionDenied(
            _("you do not have the permission “%(perm)s”%(where)s") % {"perm": perm, "where": where}
        )


def ensure_can_on(user: Any, perm: str, obj: Any) -> None:
    ensure_can(user, perm, getattr(obj, "org_unit", None), getattr(obj, "department", None))


def scope_q(
    user: Any, perm: str, *, path_field: str = "org_unit__path", department_field: str | None = None
) -> Q:
    """A filter for the rows this user may see with ``perm``: the union of their grants' subtrees."""
    if _is_superuser(user):
        return EVERYTHING
    condition = Q(pk__in=[])
    for grant in grants_of(user):
        if not grant.allows(perm):
            continue
        clause = subtree_q(grant.path, path_field)
        if grant.department_id is not None and department_field is not None:
            clause &= Q(**{department_field: grant.department_id}) | Q(
                **{f"{department_field}__isnull": True}
            )
        condition |= clause
    return condition


def root_unit() -> Any:
    """The top of the org tree (the installation's province, or the country for a national one)."""
    return OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()


def scope_roots(user: Any, perm: str) -> list[str]:
    """The top paths of the user's scope for ``perm`` (no path inside another); [""] for everything."""
    if _is_superuser(user):
        return [""]
    paths = sorted({g.path for g in grants_of(user) if g.allows(perm)})
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots
