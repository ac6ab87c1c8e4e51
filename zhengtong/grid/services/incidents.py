"""Incidents: reporting (validated location, category and attributes), duplicates, reading one.

The workflow transitions are in ``transitions``."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can, in_subtree
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.identifiers import validate_uscc
from zhengtong.grid import geo
from zhengtong.grid.errors import GridError
from zhengtong.grid.models import CLOSED_STATES, Category, Incident

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit

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
            "category", _("unknown category “%s”") % (code or ""), code=GridError.UNKNOWN_CATEGORY
        )
    return category


# The attribute naming the legal entity an incident is about (grid.categories.ENTITY).
ENTITY_ATTRIBUTE = "entity_uscc"


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
        if code == ENTITY_ATTRIBUTE:
            # The entity the incident is about: a real credit code (the master record reads by it).
            try:
                value = validate_uscc(value)
            except (TypeError, ValueError):
                problems[f"attribute[{code}]"] = _("must be a unified social credit code (18 characters)")
                continue
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
    via: str = "",
    media_url: str = "",
    account_id: str = "",
) -> Incident:
    """Record a new incident at a location: the grid cell (and village, township, county) come
    from point-in-polygon. Grid workers and staff report within their scope; citizens and Open311
    clients (``within``: the key's jurisdiction) anywhere in a grid. ``work_order``: the number
    of the 12345 work order a complaint came in as (see ``incident_report_for_work_order``);
    ``via``: the module through which the actor reported (recorded on the timeline and audit
    event)."""
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
            "location", _("the location is outside every grid cell"), code=GridError.OUTSIDE_GRID
        )
    grid_unit = geo.grid_unit(where.grid_unit_id)
    if source in (Incident.Source.GRID_WORKER, Incident.Source.IMPORT):
        ensure_can(actor, "grid.report", grid_unit)
    elif within is not None and not in_subtree(grid_unit.path, within.path):
        raise ValidationError.for_field(
            "location", _("the location is outside this client's jurisdiction"), code=GridError.OUTSIDE_GRID
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
        media_url=(media_url or "")[:500],
        account_id=(account_id or "")[:100],
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
        via=via,
    )
    return incident


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


def incident_get(pk: int) -> Incident:
    incident = (
        Incident.objects.select_related("category", "org_unit", "department", "handling_unit")
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise NotFound(_("no such incident"))
    return incident
