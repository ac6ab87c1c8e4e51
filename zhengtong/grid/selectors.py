"""Reads of the grid module, scoped by the actor's grants (accounts.permissions is the one
mechanism): a grid worker sees their cells, township staff their township, county staff their
county, a department handler what was dispatched to their department."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import EVERYTHING, grants_of, subtree_q
from zhengtong.core.errors import NotFound
from zhengtong.grid import geo
from zhengtong.grid.models import CLOSED_STATES, GridCell, Incident, IncidentPhoto, Patrol, ReportTemplate

if TYPE_CHECKING:
    from zhengtong.accounts.models import Credential


def incident_scope(user: Any, perm: str = "grid.view") -> Q:
    if getattr(user, "is_superuser", False) and user.is_active:
        return EVERYTHING
    condition = Q(pk__in=[])
    for grant in grants_of(user):
        if not grant.allows(perm):
            continue
        clause = subtree_q(grant.path, "org_unit__path")
        if grant.department_id is not None and not grant.allows("grid.dispatch"):
            # A department handler sees what was dispatched to their department.
            clause &= Q(handling_department_id=grant.department_id)
        condition |= clause
    return condition


def incidents_for(
    user: Any, *, state: str = "", category: str = "", township_id: int | None = None
) -> QuerySet:
    qs = Incident.objects.filter(incident_scope(user)).select_related(
        "category", "handling_department", "handling_unit"
    )
    if state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category__code=category)
    if township_id:
        qs = qs.filter(township_id=township_id)
    return qs


def incident_get_for(user: Any, pk: int) -> Incident:
    incident = (
        Incident.objects.filter(incident_scope(user))
        .select_related(
            "category",
            "org_unit",
            "handling_department__org_unit",
            "handling_unit__parent",
            "cell",
            "township",
            "county",
        )
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise NotFound(_("no such incident"))
    return incident


def photo_get_for(user: Any, token: Any, *, original: bool = False) -> IncidentPhoto:
    """The photo with ``token`` as ``user`` may fetch it; NotFound otherwise (also for a token
    that is not a UUID). Photos are authorised exactly like their incident's page
    (``incident_scope``: the org scope, and a department handler only what was dispatched to
    their department). The only exception is the copy without metadata of a photo in a public
    category, which is public like the Open311 request that links it; the original (EXIF,
    GPS) never is."""
    try:
        key = uuid.UUID(str(token))
    except ValueError:
        raise NotFound(_("no such photo")) from None
    photo = IncidentPhoto.objects.select_related("incident__category").filter(token=key).first()
    if photo is None:
        raise NotFound(_("no such photo"))
    if not original and photo.incident.category.is_public:
        return photo
    if not Incident.objects.filter(incident_scope(user)).filter(pk=photo.incident_id).exists():
        raise NotFound(_("no such photo"))
    return photo


def cells_for(user: Any) -> QuerySet:
    if getattr(user, "is_superuser", False):
        return GridCell.objects.select_related("org_unit")
    condition = Q(pk__in=[])
    for grant in grants_of(user):
        if grant.allows("grid.view"):
            condition |= subtree_q(grant.path, "org_unit__path")
    return GridCell.objects.filter(condition).select_related("org_unit")


def my_tasks(user: Any) -> QuerySet:
    """A grid worker's work: disposals to verify in their cells, and what they reported still open."""
    scope = incidents_for(user)
    return scope.filter(Q(state="disposed") | Q(reporter=user) & ~Q(state__in=CLOSED_STATES)).order_by("-id")[
        :50
    ]


def nearby(
    user: Any, lat: float, lng: float, metres: int = 1000, limit: int = 30
) -> list[tuple[Incident, int]]:
    min_lat, max_lat, min_lng, max_lng = geo.degree_box(lat, lng, metres)
    rows = (
        incidents_for(user)
        .filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)
        .exclude(state__in=CLOSED_STATES)[:500]
    )
    out = [(i, int(geo.distance_m(lat, lng, i.lat, i.lng))) for i in rows]
    out = [pair for pair in out if pair[1] <= metres]
    out.sort(key=lambda p: p[1])
    return out[:limit]


def patrols_for(user: Any, *, worker=None, limit: int = 20) -> QuerySet:
    condition = Q(worker=user)
    for grant in grants_of(user):
        if grant.allows("grid.view"):
            condition |= subtree_q(grant.path, "org_unit__path")
    qs = Patrol.objects.filter(condition).select_related("cell")
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs[:limit]


def map_points(user: Any, township_id: int, *, state: str = "", limit: int = 5000) -> list[tuple]:
    """The command-room map: (id, lng, lat, state, category code) of one township's open
    incidents, by status. Served by the (township, state) index."""
    qs = incidents_for(user).filter(township_id=township_id)
    qs = qs.filter(state=state) if state else qs.exclude(state__in=CLOSED_STATES)
    return list(qs.order_by().values_list("id", "lng", "lat", "state", "category__code")[:limit])


def state_counts(user: Any, township_id: int) -> dict[str, int]:
    rows = (
        incidents_for(user).filter(township_id=township_id).order_by().values("state").annotate(n=Count("id"))
    )
    return {r["state"]: r["n"] for r in rows}


def clock_lists(user: Any, township_id: int, limit: int = 20) -> tuple[list, list]:
    qs = incidents_for(user).filter(township_id=township_id).exclude(state__in=CLOSED_STATES)
    overdue = list(qs.filter(sla_state="overdue").order_by("sla_due_at")[:limit])
    soon = list(qs.filter(sla_state="due_soon").order_by("sla_due_at")[:limit])
    return overdue, soon


def department_stats(user: Any, township_id: int, *, days: int = 90) -> list[dict]:
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        incidents_for(user)
        .filter(township_id=township_id, reported_at__gte=since)
        .exclude(handling_department__isnull=True)
        .order_by()
        .values("handling_department__name")
        .annotate(
            dispatched=Count("id"),
            disposed=Count("id", filter=Q(state__in=["disposed", "verified", "closed"])),
            overdue=Count("id", filter=Q(sla_state="overdue") & ~Q(state__in=CLOSED_STATES)),
            open=Count("id", filter=Q(state__in=["dispatched", "suspended"])),
        )
        .order_by("-dispatched")
    )
    return [
        {**r, "rate": round(100 * r["disposed"] / r["dispatched"]) if r["dispatched"] else 0} for r in rows
    ]


def templates() -> QuerySet:
    return ReportTemplate.objects.all()


def cells_within(path: str) -> QuerySet[GridCell]:
    """The grid cells at or below the org unit ``path``."""
    return GridCell.objects.filter(subtree_q(path, "org_unit__path"))


def cell_unit_ancestors(*, levels_up: int) -> QuerySet:
    """A subquery of the ids of the units ``levels_up`` levels above the cells' grid units (2: their
    townships, 3: their counties)."""
    return GridCell.objects.values("org_unit" + "__parent" * levels_up)


# --- Open311 keys (accounts credentials of kind open311_key) ----------------------------------


def open311_key_get(key_id: int) -> Credential | None:
    """The Open311 key with this id, or None."""
    return account_selectors.credential_by_id(key_id, kind=CredentialKind.OPEN311_KEY)


def open311_keys_in(*, roots: list[str]) -> QuerySet[Credential]:
    """Open311 keys of units in the subtrees ``roots`` (scope_roots paths), newest first."""
    return account_selectors.credentials_in(roots=roots, kind=CredentialKind.OPEN311_KEY)


def overdue_incidents(user: Any, *, limit: int = 20) -> list[Incident]:
    """Open incidents past their deadline that the user may see, earliest due first (the
    workspace's 督办 view lists them)."""
    return list(
        Incident.objects.filter(incident_scope(user), sla_state="overdue")
        .exclude(state__in=CLOSED_STATES)
        .select_related("category", "township", "handling_department")
        .order_by("sla_due_at", "id")[:limit]
    )


def _about_entity(uscc: str) -> QuerySet[Incident]:
    # The plain Exact lookup on the key's text (the index's expression); the JSON key lookup
    # would compare JSON values. The index's condition is repeated so a planner may use it.
    return Incident.objects.filter(
        Exact(KT("attributes__entity_uscc"), uscc), attributes__has_key="entity_uscc"
    )


def incidents_about_entity(uscc: str, *, limit: int = 200, offset: int = 0) -> list[Incident]:
    """Incidents reported about the legal entity with this credit code (the ``entity_uscc``
    attribute), newest first, ``limit`` of them from ``offset``: one query on the partial index
    ``incident_entity_uscc``, reading only the columns a list shows (no description, no
    attributes). A trusted read for the supervision module's master record (一户一档), which
    shows them to supervision staff in the entity's scope only."""
    return list(
        _about_entity(uscc)
        .select_related("category", "township")
        .only(
            "id", "state", "reported_at", "address",
            "category__code", "category__name", "township__name",
        )
        .order_by("-reported_at", "-id")[offset : offset + limit]
    )  # fmt: skip


def incidents_about_entity_count(uscc: str) -> int:
    """How many incidents name the entity (one count on the same index)."""
    return _about_entity(uscc).count()
