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

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.grid import geo
from zhengtong.grid.models import Category, GridCell, Incident
from zhengtong.grid.services.complaints import answer_work_orders, incident_report_for_work_order

logger = logging.getLogger(__name__)

GRID_KINDS = ("complaint", "report")
# Work-order category → the incident category used when the text names none (None: only when
# the text names one).
GRID_MATTERS: dict[str, str | None] = {
    "0501": "E0101",
    "0401": "E0102",
    "0502": None,
    "0601": None,
    "0901": None,
}


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
    try:
        return incident_report_for_work_order(
            work_order=work_order,
            category=category,
            lat=where[0],
            lng=where[1],
            attributes=_default_attributes(category),
        )
    except (ValidationError, PermissionDenied) as exc:
        # Outside every cell, outside the work order's region, ...: the work order goes on alone.
        logger.info("work order %s: no incident (%s)", work_order.number, exc)
        return None


__all__ = ["answer_work_orders", "category_for", "incident_from_work_order", "location_for"]
