"""Grid cells and their grid workers: the GeoJSON import, assignments and patrol check-ins."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import shapely
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.grid import geo
from zhengtong.grid.errors import GridError
from zhengtong.grid.models import GridAssignment, GridCell, Patrol
from zhengtong.grid.services.incidents import parse_coordinate

if TYPE_CHECKING:
    from zhengtong.accounts.models import User

# --- grid cells ---------------------------------------------------------------------------


@transaction.atomic
def cells_import(
    *, actor: Any, collection: dict | str | bytes, replace_geometry: bool = True
) -> dict[str, int]:
    """Import grid cells from a GeoJSON FeatureCollection, all or nothing.

    Each feature: a Polygon/MultiPolygon and properties ``code`` (15-digit grid code) and
    ``name``; the grid org unit is created under its village (code[:12]) when missing. Any bad
    feature aborts the import with an error naming the feature and the rule.
    """

    if isinstance(collection, bytes | str):
        try:
            collection = json.loads(collection)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationError.for_field("file", _("not valid JSON (%s)") % exc) from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValidationError.for_field("file", _("must be a GeoJSON FeatureCollection"))
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError.for_field("file", _("the collection has no features"))
    problems: list[str] = []
    parsed = []
    seen: set[str] = set()
    for i, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {}
        code = str(props.get("code", "")).strip()
        label = _("feature %(n)d (%(code)s)") % {"n": i, "code": code or "?"}
        if not (len(code) == 15 and code.isdigit()):
            problems.append(f"{label}: " + _("properties.code must be a 15-digit grid code"))
            continue
        if code in seen:
            problems.append(f"{label}: " + _("the code appears twice in the file"))
            continue
        seen.add(code)
        name = str(props.get("name", "")).strip()
        if not name or len(name) > 100:
            problems.append(f"{label}: " + _("properties.name is required (at most 100 characters)"))
            continue
        try:
            geom = geo.parse_geometry((feature or {}).get("geometry"))
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        unit = account_selectors.org_unit_by_code(code)
        village = None
        if unit is None:
            village = account_selectors.org_units_at_levels(["village"]).filter(code=code[:12]).first()
            if village is None:
                problems.append(f"{label}: " + _("no village or community with code %s") % code[:12])
                continue
        elif unit.level != "grid":
            problems.append(f"{label}: " + _("org unit %s is not a grid") % code)
            continue
        parsed.append((code, name, geom, unit, village))
    if problems:
        raise ValidationError(
            _("nothing was imported: %s") % "; ".join(problems[:20]), fields={"file": problems[:100]}
        )
    scope = [p[3] or p[4] for p in parsed]
    for unit in scope:
        ensure_can(actor, "grid.manage", unit)
    created = updated = 0
    for code, name, geom, unit, village in parsed:
        if unit is None:
            unit = account_services.org_unit_create(
                actor=None, code=code, name=name, level="grid", parent=village
            )
        minx, miny, maxx, maxy = geom.bounds
        values = {
            "name": name,
            "org_unit": unit,
            "geometry": json.dumps(json.loads(_to_geojson(geom)), separators=(",", ":")),
            "minx": minx,
            "miny": miny,
            "maxx": maxx,
            "maxy": maxy,
            "area_m2": geo.area_m2(geom),
        }
        cell = GridCell.objects.filter(code=code).first()
        if cell is None:
            GridCell.objects.create(code=code, **values)
            created += 1
        elif replace_geometry:
            for key, value in values.items():
                setattr(cell, key, value)
            cell.save()
            updated += 1
    audit.record(
        actor=actor,
        action="grid.cells.import",
        target_type="grid.gridcell",
        target_id="import",
        target_label=_("%d grid cells") % len(parsed),
        after={"created": created, "updated": updated},
    )
    transaction.on_commit(geo.invalidate)
    return {"created": created, "updated": updated}


def _to_geojson(geom) -> str:
    return shapely.to_geojson(geom)


@transaction.atomic
def cell_assign(*, actor: Any, cell: GridCell, worker: User) -> GridAssignment:
    """Make ``worker`` responsible for ``cell``: the assignment and the grid_worker role at the
    cell's org unit (so the worker's scope is exactly their cells)."""

    ensure_can(actor, "grid.manage", cell.org_unit)
    assignment, created = GridAssignment.objects.get_or_create(cell=cell, worker=worker)
    # An expired grant gives no scope: grant again.
    if not account_selectors.role_grant_is_live(user=worker, role="grid_worker", org_unit=cell.org_unit):
        account_services.role_grant(actor=None, user=worker, role="grid_worker", org_unit=cell.org_unit)
    if created:
        audit.record(actor=actor, action="grid.cell.assign", target=cell, after={"worker": worker.username})
    return assignment


# --- patrols ------------------------------------------------------------------------------


@transaction.atomic
def patrol_check_in(*, actor: Any, lat: Any, lng: Any, note: str = "", hazards_found: int = 0) -> Patrol:
    """A grid worker's patrol check-in at a location inside their cells."""
    ensure_authenticated(actor)
    lat = parse_coordinate(lat, "lat", -90, 90)
    lng = parse_coordinate(lng, "lng", -180, 180)
    where = geo.locate(lng, lat)
    if where is None:
        raise ValidationError.for_field(
            "location", _("the location is outside every grid cell"), code=GridError.OUTSIDE_GRID
        )
    unit = account_selectors.org_unit_by_id(where.grid_unit_id)
    ensure_can(actor, "grid.patrol", unit)
    if not 0 <= int(hazards_found) <= 100:
        raise ValidationError.for_field("hazards_found", _("must be between 0 and 100"))
    patrol = Patrol.objects.create(
        worker=actor,
        cell_id=where.cell_id,
        org_unit=unit,
        lat=lat,
        lng=lng,
        note=(note or "")[:300],
        hazards_found=int(hazards_found),
        at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="grid.patrol.check_in",
        target=patrol,
        org_unit=unit,
        after={"cell": where.cell_code},
    )
    return patrol
