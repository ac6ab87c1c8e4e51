"""Reads of the accounts module, scoped by the actor's grants."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.models import Credential, Department, OrgUnit, RoleGrant, User
from zhengtong.accounts.permissions import grants_of, scope_q, scope_roots, subtree_q
from zhengtong.accounts.roles import ROLES
from zhengtong.core import cache
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


# --- Accounts, org units, departments and credentials as other apps read them ------------------
# (an app never imports accounts.models: it reads through these)


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


def user_with_resident_id(resident_id: str) -> User | None:
    """The active real-name account verified with this resident ID number, or None (a counter
    identifies a walk-in applicant by the document it checked)."""
    if not resident_id:
        return None
    return User.objects.filter(resident_id=resident_id, is_active=True).first()


def org_unit_by_id(pk: Any) -> OrgUnit | None:
    """The org unit with primary key ``pk`` (an int or a digit string), or None."""
    text = str(pk) if pk is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:  # e.g. "²", or past bigint
        return None
    return OrgUnit.objects.filter(pk=int(text)).first()


def org_unit_by_code(code: str) -> OrgUnit | None:
    """The org unit with region code ``code``, or None (``org_unit_get`` raises NotFound)."""
    return OrgUnit.objects.filter(code=code).first() if code else None


def org_units_with_codes(codes: list[str]) -> QuerySet[OrgUnit]:
    """The org units with these region codes, by code."""
    return OrgUnit.objects.filter(code__in=codes).order_by("code")


def org_units_at_levels(
    levels: list[str], *, within: str = "", active_only: bool = False, ids: Any = None
) -> QuerySet[OrgUnit]:
    """Org units of these levels, ordered by path; ``within``: only at or below that path;
    ``ids``: only these ids (a list or a subquery)."""
    qs = OrgUnit.objects.filter(level__in=levels)
    if within:
        qs = qs.filter(subtree_q(within))
    if active_only:
        qs = qs.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("path")


def is_org_unit(value: Any) -> bool:
    return isinstance(value, OrgUnit)


def department_by_id(pk: Any) -> Department | None:
    """The department with primary key ``pk`` (an int or a digit string), with its unit, or None."""
    if pk is None or not str(pk).isdigit():
        return None
    return Department.objects.select_related("org_unit").filter(pk=int(pk)).first()


def department_by_code(unit_code: str, code: str) -> Department | None:
    """The department ``code`` of the org unit with region code ``unit_code``, or None."""
    return Department.objects.select_related("org_unit").filter(org_unit__code=unit_code, code=code).first()


def department_names(ids: list[int]) -> dict[int, str]:
    """The names of the departments with these ids, by id."""
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))


def departments_all() -> list[Department]:
    """Every department (active or not) with its org unit, in no particular order."""
    return list(Department.objects.select_related("org_unit"))


def departments_for(user: Any, perm: str, *, limit: int = 200) -> list[Department]:
    """The active departments where ``user`` holds ``perm``: every department in the scope of
    the grants, or only the named departments when every such grant is limited to a department."""
    qs = Department.objects.select_related("org_unit").filter(is_active=True)
    qs = qs.filter(scope_q(user, perm))
    if not getattr(user, "is_superuser", False):
        grants = grants_of(user)
        limited = {g.department_id for g in grants if g.allows(perm) and g.department_id}
        unlimited = any(g.allows(perm) and g.department_id is None for g in grants)
        if limited and not unlimited:
            qs = qs.filter(pk__in=limited)
    return list(qs.order_by("org_unit__path", "code")[:limit])


def departments_active(*, at_paths: list[str] | None = None) -> QuerySet[Department]:
    """Active departments (``at_paths``: only those of the units with these paths), ordered by
    unit path and code."""
    qs = Department.objects.filter(is_active=True).select_related("org_unit")
    if at_paths is not None:
        qs = qs.filter(org_unit__path__in=at_paths)
    return qs.order_by("org_unit__path", "code")


def department_of_kind(*, org_unit_id: int, kind: str) -> Department | None:
    """The first active department of ``kind`` at the unit ``org_unit_id``, or None."""
    return Department.objects.filter(org_unit_id=org_unit_id, kind=kind, is_active=True).first()


def role_grant_is_live(*, user: Any, role: str, org_unit: OrgUnit) -> bool:
    """Whether ``user`` holds ``role`` at ``org_unit`` through a grant neither revoked nor expired."""
    return (
        RoleGrant.objects.filter(user=user, role=role, org_unit=org_unit, revoked_at__isnull=True)
        .exclude(valid_until__lte=timezone.now())
        .exists()
    )


def credential_by_id(pk: Any, *, kind: str) -> Credential | None:
    """The credential of ``kind`` with primary key ``pk``, or None."""
    if pk is None or not str(pk).isdigit():
        return None
    return Credential.objects.filter(pk=int(pk), kind=kind).first()


def org_unit_by_path(path: str) -> OrgUnit | None:
    """The org unit at ``path``, or None."""
    return OrgUnit.objects.filter(path=path).first() if path else None


def users_with_usernames(usernames: list[str]) -> QuerySet[User]:
    """The users with these usernames, ordered by username."""
    return User.objects.filter(username__in=usernames).order_by("username")


def staff_users(*, within: str = "") -> QuerySet[User]:
    """Active staff accounts (staff, grid workers, admins) with their unit and department;
    ``within``: only those whose unit is at or below that path. For the workspace directory."""
    qs = User.objects.filter(
        kind__in=["staff", "grid_worker", "admin"], is_active=True, org_unit__isnull=False
    )
    if within:
        qs = qs.filter(subtree_q(within, "org_unit__path"))
    return qs.select_related("org_unit", "department").order_by("pk")


def user_ids_with_role(role: str, *, user_ids: list[int] | None = None) -> set[int]:
    """The ids of users holding ``role`` through a live grant (``user_ids``: only among these)."""
    qs = RoleGrant.objects.filter(role=role, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now())
    )
    if user_ids is not None:
        qs = qs.filter(user_id__in=user_ids)
    return set(qs.values_list("user_id", flat=True))


def users_by_ids(ids: list[int]) -> QuerySet[User]:
    """The active users with these ids, with unit and department, by id."""
    return (
        User.objects.filter(pk__in=ids, is_active=True)
        .select_related("org_unit", "department")
        .order_by("pk")
    )


def users_with_resident_ids(resident_ids: list[str]) -> QuerySet[User]:
    """Active accounts verified with one of these resident ID numbers (a benefit proposed to
    the persons an eligibility scan found reaches their accounts)."""
    return User.objects.filter(resident_id__in=resident_ids, is_active=True)


# --- The hot path of bearer calls: a person's record kept per process -----------------------


def user_namespace(user_id: int) -> str:
    """The ``core.cache`` namespace of one person's cached record and of what other modules derive
    from it (e.g. the identity centre's userinfo claims): invalidated by every save of the person
    (other than a sign-in's ``last_login``) and of their role grants (``accounts.apps``)."""
    return f"accounts.user:{user_id}"


def forget_user(user_id: int) -> None:
    """Drop the person's cached record now and again after the transaction commits (another
    process may cache the old row in between)."""
    namespace = user_namespace(user_id)
    cache.invalidate(namespace)
    transaction.on_commit(lambda: cache.invalidate(namespace))


def _user_row(user_id: int) -> User | None:
    return User.objects.select_related("org_unit", "department").filter(pk=user_id).first()


def user_cached(user_id: int) -> User | None:
    """The person ``user_id`` (with org unit and department) as bearer calls need it, kept per
    process for ``ACCOUNTS_USER_CACHE_SECONDS`` and invalidated with the person (``user_namespace``): a fresh
    copy each call, so nothing a request sets on it (cached grants, related rows) outlives it."""
    row = cache.cached(
        user_namespace(user_id),
        "user",
        lambda: _user_row(user_id),
        settings.ACCOUNTS_USER_CACHE_SECONDS,
        local=True,
        shared=False,
    )
    if row is None:
        return None
    copy = User.__new__(User)
    copy.__dict__.update({k: v for k, v in row.__dict__.items() if not k.startswith("_zt_")})
    copy._state = type(row._state)()
    copy._state.adding, copy._state.db = False, row._state.db
    copy._state.fields_cache = dict(row._state.fields_cache)
    return copy


def user_grants_cached(user: Any) -> list[tuple[str, str, str, str | None]]:
    """``user_grants(user)`` as (role, org unit code, org unit name, department name), kept with
    the person's record (``user_namespace``)."""
    return cache.cached(
        user_namespace(user.pk),
        "grants",
        lambda: [
            (g.role, g.org_unit.code, g.org_unit.name, g.department.name if g.department else None)
            for g in user_grants(user)
        ],
        settings.ACCOUNTS_USER_CACHE_SECONDS,
        local=True,
        shared=False,
    )
