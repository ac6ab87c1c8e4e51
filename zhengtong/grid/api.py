"""Grid API at /api/v1/grid: locate a point, incidents (scoped), workflow actions, statistics.

Open311 GeoReport v2 (the public citizen-reporting API) lives at /open311/v2/ (grid/open311.py).
"""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.errors import ValidationError
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.grid import actions, geo, selectors, services
from zhengtong.grid.errors import GridError
from zhengtong.grid.models import Incident, IncidentStat

router = Router(tags=["grid"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {"grid_stats"}


class UnitRef(Schema):
    id: int | None
    name: str


class LocateOut(Schema):
    grid: dict
    village: UnitRef
    township: UnitRef
    county: UnitRef


class IncidentOut(Schema):
    id: int
    category: str
    category_name: str
    state: str
    sla_state: str
    lat: float
    lng: float
    address: str
    description: str
    source: str
    township: str
    handling_department: str | None
    reported_at: dt.datetime
    due_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_category(obj: Incident) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: Incident) -> str:
        return obj.category.name

    @staticmethod
    def resolve_township(obj: Incident) -> str:
        return obj.township.name

    @staticmethod
    def resolve_handling_department(obj: Incident) -> str | None:
        return obj.handling_department.name if obj.handling_department_id else None


class IncidentPage(Schema):
    items: list[IncidentOut]
    next: str | None = None


class IncidentIn(Schema):
    category: str
    lat: float
    lng: float
    description: str
    address: str = ""
    attributes: dict = {}


class IncidentActionIn(Schema):
    action: str
    note: str = ""
    version: int | None = None
    department_id: int | None = None
    unit_id: int | None = None
    merge_into: int | None = None


class StatOut(Schema):
    month: str
    county_code: str
    township_code: str
    township_name: str
    category_code: str
    category_name: str
    reported: int
    closed: int
    open: int
    overdue: int
    avg_close_hours: float | None


@router.get("/locate", response={200: LocateOut, **ERRORS}, operation_id="grid_locate")
def locate(request, lat: float, lng: float):
    """Which grid cell, village, township and county hold a point (WGS-84)."""
    lat = services.parse_coordinate(lat, "lat", -90, 90)
    lng = services.parse_coordinate(lng, "lng", -180, 180)
    where = geo.locate(lng, lat)
    if where is None:
        raise ValidationError.for_field(
            "location", "the location is outside every grid cell", code=GridError.OUTSIDE_GRID
        )
    return where.as_dict()


@router.get("/incidents", response={200: IncidentPage, **ERRORS}, operation_id="grid_incidents")
def incidents(
    request, state: str = "", category: str = "", cursor: str | None = None, limit: int | None = None
):
    """Incidents in your scope, newest first."""
    page = keyset_page(
        selectors.incidents_for(request.auth, state=state, category=category).select_related("township"),
        order=["-id"],
        cursor=cursor,
        limit=clamp_limit(limit),
    )
    return {"items": page.items, "next": page.next_cursor}


@router.post("/incidents", response={201: IncidentOut, **ERRORS}, operation_id="grid_incident_report")
def incident_report(request, payload: IncidentIn):
    """Report an incident (grid workers and staff, within their scope)."""
    incident = services.incident_report(actor=request.auth, **payload.dict())
    return Status(201, selectors.incident_get_for(request.auth, incident.pk))


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **ERRORS}, operation_id="grid_incident")
def incident(request, incident_id: int):
    """One incident with its location, state, SLA clock, photos and timeline (staff and grid workers in scope)."""
    return selectors.incident_get_for(request.auth, incident_id)


@router.post(
    "/incidents/{incident_id}/transitions",
    response={200: IncidentOut, **ERRORS},
    operation_id="grid_incident_transition",
)
def incident_transition(request, incident_id: int, payload: IncidentActionIn):
    """Register, dispatch, dispose, verify, close, return, reassign, suspend, resume, escalate,
    merge or reopen. Send ``version`` to be sure nobody acted in between."""
    obj = selectors.incident_get_for(request.auth, incident_id)
    actions.incident_action(
        actor=request.auth,
        incident=obj,
        action=payload.action,
        note=payload.note,
        expected_version=payload.version,
        department=account_selectors.department_by_id(payload.department_id),
        unit=account_selectors.org_unit_by_id(payload.unit_id),
        merge_into=selectors.incident_get_for(request.auth, payload.merge_into)
        if payload.merge_into
        else None,
    )
    return selectors.incident_get_for(request.auth, incident_id)


class StatsQuery(Schema):
    month: str = ""
    township: str = ""


@router.get("/stats", response={200: list[StatOut], **ERRORS}, auth=None, operation_id="grid_stats")
def stats(request, filters: Query[StatsQuery]):
    """Incident statistics by month, township and category (aggregates only; refreshed daily).
    Also at /grid/stats.csv."""
    qs = IncidentStat.objects.all()
    if filters.month:
        qs = qs.filter(month=filters.month)
    if filters.township:
        qs = qs.filter(township_code=filters.township)
    return list(qs[:5000])
