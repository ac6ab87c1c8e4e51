"""Citizens' complaints (the 12345 work orders of the workorders module) that are grid matters
become incidents, and closing the incident answers the work order.

- A work order of a kind in ``GRID_KINDS`` whose category is in ``GRID_MATTERS`` becomes an
  incident (source "complaint", the work-order number in ``Incident.work_order``) when it has a
  location in a grid cell: the cell of its region when the region is a grid, else a cell or
  village named in its title or description (``geo.geocode``, only cells under its region). No location, no incident: the work order goes
  on as before. Runs from the workorders ``on_opened`` hook, after the work order is committed.
- The incident category is the one whose name the text mentions (the longest), else the
  category's default in ``GRID_MATTERS``; none, no incident.
- When the incident closes (结案), the work order (and those of incidents merged into it) is
  answered through the workorders service: assigned to the department that handled the
  incident when it still waits for dispatch, then replied. Call-back and closing stay with the
  hotline (回访、办结).
"""

from __future__ import annotations

import logging
from typing import Any

import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.grid import geo
from zhengtong.grid.models import Category, GridCell, Incident

logger = logging.getLogger(__name__)

GRID_KINDS = ("complaint", "report")
# Work-order category → the incident category used when the text names none (None: only when
# the text names one).
GRID_MATTERS: dict[str, str | None] = {
    "urban": "E0101",
    "environment": "E0102",
    "housing": None,
    "transport": None,
    "public_security": None,
}
ANSWERABLE_STATES = ("submitted", "returned", "assigned", "in_progress")


def category_for(work_order: Any) -> Category | None:
    if work_order.category not in GRID_MATTERS:
        return None
    text = f"{work_order.title} {work_order.description}"
    named = [c for c in Category.objects.filter(is_active=True) if c.name and c.name in text]
    if named:
        return max(named, key=lambda c: len(c.name))
    default = GRID_MATTERS[work_order.category]
    return Category.objects.filter(code=default, is_active=True).first() if default else None


def location_for(work_order: Any) -> tuple[float, float] | None:
    """(lat, lng) of the matter, or None when no grid cell can be found for it."""
    cell = GridCell.objects.filter(org_unit_id=work_order.region_id).first()
    if cell is not None:
        point = shapely.from_geojson(cell.geometry).representative_point()
        return point.y, point.x
    found = geo.geocode(f"{work_order.title} {work_order.description}", within=work_order.region)
    return (found[1], found[0]) if found else None


def _default_attributes(category: Category) -> dict[str, Any]:
    """Required list attributes a citizen was not asked for: their first (mildest) value."""
    return {
        a["code"]: str(a["values"][0]["key"])
        for a in category.attributes
        if a.get("required") and a.get("datatype") == "singlevaluelist" and a.get("values")
    }


def incident_from_work_order(work_order: Any) -> Incident | None:
    """workorders on_opened hook: the incident for a complaint that is a grid matter, or None.
    Idempotent (one incident per work order)."""
    if work_order.kind not in GRID_KINDS:
        return None
    existing = Incident.objects.filter(work_order=work_order.number).first()
    if existing is not None:
        return existing
    category = category_for(work_order)
    if category is None:
        return None
    where = location_for(work_order)
    if where is None:
        return None
    from zhengtong.grid import services

    reporter = work_order.requester or work_order.created_by
    try:
        return services.incident_report(
            actor=reporter,
            category=category,
            lat=where[0],
            lng=where[1],
            description=f"{work_order.title}\n{work_order.description}"[:4000],
            source=Incident.Source.COMPLAINT,
            attributes=_default_attributes(category),
            reporter_name=getattr(work_order.requester, "display_name", "") or "",
            reporter_phone=work_order.contact_phone,
            within=work_order.region,
            work_order=work_order.number,
        )
    except (ValidationError, PermissionDenied) as exc:
        # Outside every cell, outside the work order's region, ...: the work order goes on alone.
        logger.info("work order %s: no incident (%s)", work_order.number, exc)
        return None


def answer_work_orders(incident: Incident, *, note: str = "") -> list[str]:
    """The incident closed: answer its work order and those of the incidents merged into it.
    Returns the numbers answered. A work order that cannot be answered (already answered or
    closed, or no department to give it to) is left to the hotline, and logged."""
    numbers = [incident.work_order] if incident.work_order else []
    numbers += list(
        Incident.objects.filter(merged_into=incident)
        .exclude(work_order="")
        .values_list("work_order", flat=True)
    )
    answered = []
    for number in numbers:
        if _answer(number, incident, note):
            answered.append(number)
    return answered


def _answer(number: str, incident: Incident, note: str) -> bool:
    try:
        from zhengtong.workorders.services import work_order_act, work_order_get_by_number
    except ImportError:  # pragma: no cover - workorders is installed with grid
        return False
    from zhengtong.accounts.services import system_actor

    try:
        order = work_order_get_by_number(number)
    except NotFound:
        return False
    if order.state not in ANSWERABLE_STATES:
        return False
    actor = system_actor()
    reply = _("Handled through grid governance: incident #%(id)d was closed on %(date)s.") % {
        "id": incident.pk,
        "date": (incident.closed_at or incident.updated_at).date().isoformat(),
    }
    if note.strip():
        reply += " " + note.strip()
    try:
        with transaction.atomic():
            if order.state in ("submitted", "returned"):
                if incident.handling_department_id is None:
                    logger.info("work order %s: not dispatched and no department to answer it", number)
                    return False
                work_order_act(
                    actor=actor,
                    work_order=order,
                    action="assign",
                    department=incident.handling_department,
                    note=_("handled as grid incident #%d") % incident.pk,
                )
            work_order_act(actor=actor, work_order=order, action="reply", reply=reply[:4000])
    except (Conflict, ValidationError, PermissionDenied) as exc:
        logger.warning("work order %s could not be answered from incident #%s: %s", number, incident.pk, exc)
        return False
    return True
