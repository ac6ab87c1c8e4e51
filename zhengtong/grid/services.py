"""Writes of the grid module: cells and assignments, incidents and their workflow, photos,
patrols, Open311 keys, escalation of overdue incidents and the daily statistics.

Every function checks permission, validates, writes and records its audit event in one
transaction (the workflow mechanism records transitions itself).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import secrets
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import credentials
from zhengtong.accounts.models import Credential, CredentialKind, Department, OrgUnit, User
from zhengtong.accounts.permissions import can_on, ensure_authenticated, ensure_can, in_subtree
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.grid import geo
from zhengtong.grid.models import (
    CLOSED_STATES,
    Category,
    GridAssignment,
    GridCell,
    Incident,
    IncidentPhoto,
    IncidentStat,
    Patrol,
)
from zhengtong.workorders import services as workorder_services
from zhengtong.workorders.models import RoutingDomain, RoutingRule

audit_actions.register(
    {
        "grid.cells.import": gettext_lazy("Import grid cells"),
        "grid.cell.assign": gettext_lazy("Assign grid worker to cell"),
        "grid.photo.add": gettext_lazy("Add incident photo"),
        "grid.patrol.check_in": gettext_lazy("Patrol check-in"),
        "grid.open311_key.create": gettext_lazy("Issue Open311 key"),
        "grid.open311_key.revoke": gettext_lazy("Revoke Open311 key"),
    }
)

PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


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
    from zhengtong.accounts import services as account_services

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
        unit = OrgUnit.objects.filter(code=code).first()
        village = None
        if unit is None:
            village = OrgUnit.objects.filter(code=code[:12], level="village").first()
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
    import shapely

    return shapely.to_geojson(geom)


@transaction.atomic
def cell_assign(*, actor: Any, cell: GridCell, worker: User) -> GridAssignment:
    """Make ``worker`` responsible for ``cell``: the assignment and the grid_worker role at the
    cell's org unit (so the worker's scope is exactly their cells)."""
    from zhengtong.accounts import services as account_services
    from zhengtong.accounts.models import RoleGrant

    ensure_can(actor, "grid.manage", cell.org_unit)
    assignment, created = GridAssignment.objects.get_or_create(cell=cell, worker=worker)
    live = RoleGrant.objects.filter(
        user=worker, role="grid_worker", org_unit=cell.org_unit, revoked_at__isnull=True
    ).exclude(valid_until__lte=timezone.now())  # an expired grant gives no scope: grant again
    if not live.exists():
        account_services.role_grant(actor=None, user=worker, role="grid_worker", org_unit=cell.org_unit)
    if created:
        audit.record(actor=actor, action="grid.cell.assign", target=cell, after={"worker": worker.username})
    return assignment


def routing_rule_create(
    *, actor: Any, org_unit: OrgUnit, category: Category | None = None, department=None, target_unit=None
) -> RoutingRule:
    """Route incidents of ``category`` (None: any category) at ``org_unit`` and below to
    ``department`` or to ``target_unit`` (a township): a rule of the one routing table,
    ``workorders.RoutingRule`` in the grid domain (needs grid.manage at ``org_unit``)."""
    return workorder_services.routing_rule_set(
        actor=actor,
        domain=RoutingDomain.GRID,
        category=category.code if category is not None else "",
        region=org_unit,
        department=department,
        target_unit=target_unit,
    )


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


def route(incident: Incident) -> tuple[Department | None, OrgUnit | None]:
    """Where an incident goes: the most specific routing rule for its category and location
    (``workorders.services.route_for``, grid domain), else the category's default department
    kind in its county, else its township."""
    path = (
        incident.org_unit.path
        if incident.org_unit.path
        else OrgUnit.objects.get(pk=incident.org_unit_id).path
    )
    rule = workorder_services.route_for(
        domain=RoutingDomain.GRID, category=incident.category.code, region_path=path
    )
    if rule is not None:
        return rule.department, rule.target_unit
    kind = incident.category.department_kind
    if kind:
        dept = Department.objects.filter(org_unit_id=incident.county_id, kind=kind, is_active=True).first()
        if dept is not None:
            return dept, None
    return None, OrgUnit.objects.get(pk=incident.township_id)


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


# --- photos -------------------------------------------------------------------------------


def photo_root() -> Path:
    return Path(settings.VAR_DIR) / "grid" / "photos"


def check_image(data: bytes, field: str = "photo"):
    """Decode an upload for real; returns (image, format). Refuses non-images, unknown formats,
    oversized files and decompression bombs."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > settings.GRID_PHOTO_MAX_BYTES:
        raise ValidationError.for_field(
            field, _("the file is larger than %d MB") % (settings.GRID_PHOTO_MAX_BYTES // (1024 * 1024) or 1)
        )
    if not data:
        raise ValidationError.for_field(field, _("the file is empty"))
    try:
        img = Image.open(io.BytesIO(data))
        fmt = img.format
        if fmt not in PHOTO_FORMATS:
            raise ValidationError.for_field(field, _("must be a JPEG, PNG or WebP image"))
        width, height = img.size
        if width * height > settings.GRID_PHOTO_MAX_PIXELS:
            raise ValidationError.for_field(
                field, _("the image has too many pixels (%(w)d×%(h)d)") % {"w": width, "h": height}
            )
        img.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError.for_field(field, _("is not a readable image")) from None
    return img, fmt


def strip_image(img, fmt: str) -> bytes:
    """Re-encode without any metadata (EXIF, GPS, XMP, comments); orientation applied first."""
    from PIL import ImageOps

    img = ImageOps.exif_transpose(img)
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(out, format="JPEG", quality=85)
    elif fmt == "PNG":
        clean = img.copy()
        clean.info = {}
        clean.save(out, format="PNG")
    else:
        img.save(out, format="WEBP", quality=85)
    return out.getvalue()


@transaction.atomic
def photo_add(*, actor: Any, incident: Incident, data: bytes, check_permission: bool = True) -> IncidentPhoto:
    """Store a photo: the original privately, a copy stripped of metadata for public views."""
    if check_permission and not (
        can_on(actor, "grid.view", incident)
        or (actor is not None and incident.reporter_id == getattr(actor, "pk", -1))
    ):
        raise PermissionDenied(_("you may not add photos to this incident"))
    if incident.photos.count() >= 6:
        raise ValidationError.for_field("photo", _("at most 6 photos per incident"))
    img, fmt = check_image(data)
    content_type, ext = PHOTO_FORMATS[fmt]
    stripped = strip_image(img, fmt)
    name = uuid.uuid4().hex
    root = photo_root()
    original = Path("original") / str(incident.pk) / f"{name}.{ext}"
    public = Path("public") / str(incident.pk) / f"{name}.{ext}"
    for rel, blob in ((original, data), (public, stripped)):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(blob)
        tmp.replace(target)
    photo = IncidentPhoto.objects.create(
        incident=incident,
        original=str(original),
        public=str(public),
        content_type=content_type,
        width=img.size[0],
        height=img.size[1],
        size=len(data),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="grid.photo.add",
        target=incident,
        after={"photo": photo.pk, "bytes": len(data)},
    )
    return photo


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
            "location", _("the location is outside every grid cell"), code="outside_grid"
        )
    unit = OrgUnit.objects.get(pk=where.grid_unit_id)
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


# --- Open311 keys (accounts credentials of kind open311_key) ----------------------------------


@transaction.atomic
def open311_key_create(*, actor: Any, name: str, org_unit: OrgUnit) -> tuple[Credential, str]:
    """Issue an api_key for an Open311 client; the raw key is returned once, only its digest kept."""
    ensure_can(actor, "grid.manage", org_unit)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.for_field("name", _("is required (at most 100 characters)"))
    key, raw = credentials.credential_create(
        actor=actor,
        kind=CredentialKind.OPEN311_KEY,
        name=name,
        org_unit=org_unit,
        audit_action="grid.open311_key.create",
    )
    return key, raw


@transaction.atomic
def open311_key_revoke(*, actor: Any, key: Credential) -> Credential:
    """Revoke an Open311 key of a unit in the actor's grid.manage scope."""
    if key.kind != CredentialKind.OPEN311_KEY:
        raise ValidationError.for_field("revoke", _("no such key"))
    ensure_can(actor, "grid.manage", key.org_unit)
    return credentials.credential_revoke(actor=actor, credential=key, audit_action="grid.open311_key.revoke")


def open311_key_authenticate(raw: str) -> Credential | None:
    """The live Open311 key for a raw api_key, or None."""
    return credentials.credential_authenticate(raw, kind=CredentialKind.OPEN311_KEY)


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


def incident_stats_refresh(*, months: int = 13) -> int:
    """Rebuild incident statistics by month, township and category (set-based)."""
    now = timezone.now()
    since = (timezone.localdate().replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    base = Incident.objects.filter(reported_at__gte=start).exclude(state="merged")
    rows = (
        base.annotate(month=TruncMonth("reported_at"))
        .values("month", "township_id", "category_id")
        .annotate(
            reported=Count("id"),
            closed=Count("id", filter=Q(state="closed")),
            open=Count("id", filter=~Q(state__in=CLOSED_STATES)),
            overdue=Count("id", filter=Q(sla_state="overdue") & ~Q(state__in=CLOSED_STATES)),
        )
    )
    durations: dict[tuple, list[float]] = defaultdict(list)
    for month_start, township, category, reported_at, closed_at in (
        base.filter(state="closed", closed_at__isnull=False)
        .annotate(month=TruncMonth("reported_at"))
        .values_list("month", "township_id", "category_id", "reported_at", "closed_at")
        .iterator(chunk_size=5000)
    ):
        durations[(month_start, township, category)].append((closed_at - reported_at).total_seconds() / 3600)
    units = dict(OrgUnit.objects.filter(level="township").values_list("id", "code"))
    unit_names = dict(OrgUnit.objects.filter(level="township").values_list("id", "name"))
    cats = {c.pk: c for c in Category.objects.all()}
    objs = []
    for row in rows:
        month = row["month"]
        key = (month, row["township_id"], row["category_id"])
        hours = durations.get(key)
        code = units.get(row["township_id"], "")
        cat = cats[row["category_id"]]
        objs.append(
            IncidentStat(
                month=timezone.localtime(month).strftime("%Y-%m")
                if isinstance(month, dt.datetime)
                else month.strftime("%Y-%m"),
                county_code=code[:6],
                township_code=code,
                township_name=unit_names.get(row["township_id"], ""),
                category_code=cat.code,
                category_name=cat.name,
                reported=row["reported"],
                closed=row["closed"],
                open=row["open"],
                overdue=row["overdue"],
                avg_close_hours=round(sum(hours) / len(hours), 1) if hours else None,
                refreshed_at=now,
            )
        )
    with transaction.atomic():
        IncidentStat.objects.filter(month__gte=since.strftime("%Y-%m")).delete()
        IncidentStat.objects.bulk_create(objs, batch_size=1000)
    _publish_stats()
    return len(objs)


STATS_RESOURCE = "grid-incident-statistics"
STATS_FIELDS = [
    "month",
    "county_code",
    "township_code",
    "township_name",
    "category_code",
    "category_name",
    "reported",
    "closed",
    "open",
    "overdue",
    "avg_close_hours",
]


def stats_csv_bytes() -> bytes:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(STATS_FIELDS)
    for row in IncidentStat.objects.values_list(*STATS_FIELDS).iterator():
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _publish_stats() -> str:
    """Load the statistics into the catalogue (data resource ``grid-incident-statistics``; see
    ``catalog.services.platform_dataset_publish``). Returns what happened; the statistics are
    always served by /api/v1/grid/stats and /grid/stats.csv as well."""
    try:
        from zhengtong.catalog.services import platform_dataset_publish
    except ImportError:  # pragma: no cover - the catalogue is optional
        return "no catalogue"
    if not IncidentStat.objects.exists():
        return "nothing to publish"
    return platform_dataset_publish(
        name=STATS_RESOURCE,
        fields=STATS_FIELDS,
        rows=IncidentStat.objects.values_list(*STATS_FIELDS).iterator(),
        title="网格事件统计(按区域、类别、月份)",
        title_en="Grid incident statistics by region, category and month",
        description="基层治理四平台事件按乡镇(街道)、事件类别和月份汇总的数量:上报、办结、未结、超期及平均办结时长。每日更新。仅含汇总数,不含个人信息。",
        domain="public_safety",
        keywords=["网格", "事件", "基层治理", "grid", "incidents"],
    )


def incident_get(pk: int) -> Incident:
    incident = (
        Incident.objects.select_related("category", "org_unit", "department", "handling_unit")
        .filter(pk=pk)
        .first()
    )
    if incident is None:
        raise NotFound(_("no such incident"))
    return incident
