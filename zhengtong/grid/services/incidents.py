"""Incidents: reporting, the workflow transitions, duplicates and escalation of overdue ones."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can, in_subtree
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.grid import geo
from zhengtong.grid.models import CLOSED_STATES, Category, Incident
from zhengtong.grid.services.routing import route

# --- incidents ----------------------------------------------------------------------------


def parse_coordinate(value: Any, field: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError.for_field(field, _("must be a decimal number")) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError.for_field(
            field, _("must be between %(low)s and %(high)s") % {"low": low, "high": high}
        )
    return number


def category_get(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    if category is None:
        raise ValidationError.for_field(
            "category", _("unknown category “%s”") % (code or ""), code="unknown_category"
        )
    return category


def clean_attributes(category: Category, raw: dict[str, Any]) -> dict[str, Any]:
    """Check attribute values against the category's definitions (Open311 datatypes)."""
    out: dict[str, Any] = {}
    problems: dict[str, str] = {}
    known = {a["code"]: a for a in category.attributes}
    for code in raw:
        if code not in known:
            problems[f"attribute[{code}]"] = _("unknown attribute")
    for code, spec in known.items():
        value = raw.get(code)
        if value in (None, "", []):
            if spec.get("required"):
                problems[f"attribute[{code}]"] = _("is required")
            continue
        datatype = spec.get("datatype", "string")
        keys = {str(v["key"]) for v in spec.get("values", [])}
        if datatype == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                problems[f"attribute[{code}]"] = _("must be a number")
                continue
        elif datatype == "singlevaluelist":
            if str(value) not in keys:
                problems[f"attribute[{code}]"] = _("must be one of %s") % ", ".join(sorted(keys))
                continue
            value = str(value)
        elif datatype == "multivaluelist":
            values = value if isinstance(value, list) else [value]
            if not set(map(str, values)) <= keys:
                problems[f"attribute[{code}]"] = _("must be among %s") % ", ".join(sorted(keys))
                continue
            value = [str(v) for v in values]
        else:
            value = str(value)[:1000]
        out[code] = value
    if problems:
        raise ValidationError(fields=problems)
    return out


@transaction.atomic
def incident_report(
    *,
    actor: Any,
    category: str | Category,
    lat: Any,
    lng: Any,
    description: str,
    source: str = Incident.Source.GRID_WORKER,
    address: str = "",
    attributes: dict[str, Any] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    within: OrgUnit | None = None,
    reported_at: dt.datetime | None = None,
    work_order: str = "",
) -> Incident:
    """Record a new incident at a location: the grid cell (and village, township, county) come
    from point-in-polygon. Grid workers and staff report within their scope; citizens and Open311
    clients (``within``: the key's jurisdiction) anywhere in a grid. ``work_order``: the number
    of the 12345 work order a complaint came in as (see grid.complaints)."""
    lat = parse_coordinate(lat, "lat", -90, 90)
    lng = parse_coordinate(lng, "lng", -180, 180)
    cat = category if isinstance(category, Category) else category_get(category)
    description = (description or "").strip()
    if not description:
        raise ValidationError.for_field("description", _("is required"))
    if len(description) > 4000:
        raise ValidationError.for_field("description", _("at most 4000 characters"))
    if source not in Incident.Source.values:
        raise ValidationError.for_field("source", _("unknown source"))
    clean = clean_attributes(cat, attributes or {})
    where = geo.locate(lng, lat)
    if where is None:
        raise ValidationError.for_field(
            "location", _("the location is outside every grid cell"), code="outside_grid"
        )
    grid_unit = geo.grid_unit(where.grid_unit_id)
    if source in (Incident.Source.GRID_WORKER, Incident.Source.IMPORT):
        ensure_can(actor, "grid.report", grid_unit)
    elif within is not None and not in_subtree(grid_unit.path, within.path):
        raise ValidationError.for_field(
            "location", _("the location is outside this client's jurisdiction"), code="outside_grid"
        )
    now = reported_at or timezone.now()
    incident = Incident(
        category=cat,
        org_unit=grid_unit,
        cell_id=where.cell_id,
        township_id=where.township_id,
        county_id=where.county_id,
        lat=lat,
        lng=lng,
        address=(address or "")[:200] or f"{where.township_name}{where.village_name}{where.cell_name}",
        description=description,
        attributes=clean,
        source=source,
        reporter=actor if getattr(actor, "is_authenticated", False) else None,
        reporter_name=reporter_name[:100],
        reporter_phone=reporter_phone[:20],
        reporter_email=reporter_email[:200],
        handling_unit_id=where.township_id,
        token=secrets.token_hex(12),
        reported_at=now,
        state=Incident.workflow.initial,
        work_order=(work_order or "")[:20],
    )
    # The clock (hours from the report, or working days) goes into the INSERT (no second UPDATE).
    Incident.workflow.start_clock(incident, at=now)
    incident.save(force_insert=True)
    Incident.workflow.start(
        incident,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        after={
            "state": incident.state,
            "category": cat.code,
            "source": source,
            "grid": where.cell_code,
            **({"work_order": incident.work_order} if incident.work_order else {}),
        },
        action="create",
    )
    return incident


def _escalation_target(incident: Incident) -> OrgUnit | None:
    current = incident.handling_unit or OrgUnit.objects.get(pk=incident.township_id)
    if incident.handling_department_id:
        current = incident.handling_department.org_unit
    parent = current.parent
    if parent is None or incident.escalation_level >= settings.GRID_MAX_ESCALATION:
        return None
    return parent


@transaction.atomic
def incident_act(
    *,
    actor: Any,
    incident: Incident,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    department: Department | None = None,
    unit: OrgUnit | None = None,
    merge_into: Incident | None = None,
) -> Incident:
    """Take a workflow action on an incident. ``dispatch``/``reassign`` go to ``department`` or
    ``unit`` (a township), else where the routing rules say; ``merge`` needs ``merge_into``."""
    ensure_authenticated(actor)
    t = Incident.workflow.transition(action)
    changes: dict[str, Any] = {}
    data: dict[str, Any] = {}
    handler_departments = _handler_departments(actor)
    if handler_departments is not None and incident.handling_department_id not in handler_departments:
        # A department handler acts only on what was dispatched to their department.
        raise PermissionDenied(_("you may not “%s” this item") % t.label)
    if action in ("dispatch", "reassign"):
        if department is None and unit is None:
            department, unit = route(incident)
        if department is not None:
            if not in_subtree(incident.org_unit.path, department.org_unit.path):
                raise ValidationError.for_field(
                    "department", _("the department does not cover this location")
                )
            changes.update(handling_department_id=department.pk, handling_unit_id=department.org_unit_id)
            data["to"] = department.name
        else:
            if unit.level not in ("township", "county", "city") or not in_subtree(
                incident.org_unit.path, unit.path
            ):
                raise ValidationError.for_field("unit", _("choose a township that covers this location"))
            changes.update(handling_department_id=None, handling_unit_id=unit.pk)
            data["to"] = unit.name
        changes["status_notes"] = _("dispatched to %s") % data["to"]
    elif action == "escalate":
        target = _escalation_target(incident)
        if target is None:
            raise ValidationError.for_field("action", _("the incident is at the highest level already"))
        changes.update(
            escalation_level=incident.escalation_level + 1,
            handling_unit_id=target.pk,
            handling_department_id=None,
        )
        data["to"] = target.name
        changes["status_notes"] = _("escalated to %s") % target.name
    elif action == "merge":
        if merge_into is None or merge_into.pk == incident.pk:
            raise ValidationError.for_field("merge_into", _("choose the incident to merge into"))
        if merge_into.category_id != incident.category_id or merge_into.state in CLOSED_STATES:
            raise ValidationError.for_field("merge_into", _("must be an open incident of the same category"))
        changes["merged_into_id"] = merge_into.pk
        data["into"] = merge_into.pk
        changes["status_notes"] = _("merged into #%d") % merge_into.pk
    elif action == "dispose":
        changes["disposed_at"] = timezone.now()
        changes["status_notes"] = note[:300] or _("disposed")
    elif action == "close":
        changes["closed_at"] = timezone.now()
        changes["status_notes"] = note[:300] or _("closed")
    elif action in ("reject", "return", "suspend", "reopen", "verify_fail"):
        changes["status_notes"] = note[:300]
        if action == "reopen":
            changes["closed_at"] = None
    Incident.workflow.apply(
        incident,
        action,
        actor=actor,
        note=note,
        data=data,
        changes=changes,
        expected_version=expected_version,
    )
    _notify_after(incident, action)
    if action == "close":
        from zhengtong.grid import complaints

        # A citizen's complaint (12345) behind it, or behind an incident merged into it, is answered.
        complaints.answer_work_orders(incident, note=note)
    return incident


def _handler_departments(actor: Any) -> set[int] | None:
    """The departments a pure department handler works for; None for everyone else (their org
    scope decides)."""
    from zhengtong.accounts.permissions import grants_of

    if getattr(actor, "is_superuser", False):
        return None
    grants = [g for g in grants_of(actor) if g.allows("grid.dispose") or g.allows("grid.view")]
    if not grants or any(g.department_id is None or g.allows("grid.dispatch") for g in grants):
        return None
    return {g.department_id for g in grants}


def _notify_after(incident: Incident, action: str) -> None:
    """Tell the grid worker who reported it that a disposal waits for verification (lazily: the
    notify module may be absent)."""
    if action != "dispose" or incident.reporter_id is None:
        return
    try:
        from zhengtong.notify.services import notify
    except ImportError:  # pragma: no cover - notify is optional
        return
    notify(
        recipient=incident.reporter,
        event="grid.incident.disposed",
        title=_("Incident #%d was disposed: please verify on site") % incident.pk,
        link=f"/grid/incidents/{incident.pk}/",
    )


def incident_dispatch(*, actor: Any, incident: Incident, expected_version: int | None = None) -> Incident:
    """One-click dispatch: register first when needed, then dispatch where the rules route it."""
    if incident.state == "reported":
        incident_act(actor=actor, incident=incident, action="register", expected_version=expected_version)
        expected_version = None
    return incident_act(actor=actor, incident=incident, action="dispatch", expected_version=expected_version)


def duplicates_for(incident: Incident, *, limit: int = 10) -> list[Incident]:
    """Open incidents of the same category within GRID_DUPLICATE_METRES and GRID_DUPLICATE_HOURS."""
    metres = settings.GRID_DUPLICATE_METRES
    min_lat, max_lat, min_lng, max_lng = geo.degree_box(incident.lat, incident.lng, metres)
    window = dt.timedelta(hours=settings.GRID_DUPLICATE_HOURS)
    candidates = (
        Incident.objects.filter(
            category_id=incident.category_id,
            township_id=incident.township_id,
            lat__gte=min_lat,
            lat__lte=max_lat,
            lng__gte=min_lng,
            lng__lte=max_lng,
            reported_at__gte=incident.reported_at - window,
            reported_at__lte=incident.reported_at + window,
        )
        .exclude(pk=incident.pk)
        .exclude(state__in=CLOSED_STATES)
        .order_by("reported_at")[:200]
    )
    return [c for c in candidates if geo.distance_m(incident.lat, incident.lng, c.lat, c.lng) <= metres][
        :limit
    ]


# --- clocks, escalation, statistics -------------------------------------------------------


def escalate_overdue(ids: list[int]) -> int:
    """Escalate newly overdue, still-unresolved incidents one level up (as the system account)."""
    from zhengtong.accounts.services import system_actor

    actor = system_actor()
    count = 0
    qs = Incident.objects.filter(pk__in=ids, state__in=["registered", "dispatched"]).select_related(
        "category", "handling_department__org_unit", "handling_unit__parent", "org_unit"
    )
    for incident in qs:
        if incident.escalation_level >= settings.GRID_MAX_ESCALATION:
            continue
        try:
            incident_act(actor=actor, incident=incident, action="escalate", note=_("time limit passed"))
            count += 1
        except (Conflict, ValidationError, PermissionDenied):
            continue
    return count


def incident_get(pk: int) -> Incident:
    incident = (
        Incident.objects.select_related("category", "org_unit", "department", "handling_unit")
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise NotFound(_("no such incident"))
    return incident
