"""Pages of the grid module: the grid worker's workbench (phone-first), the township command
room, incidents, grid cells, Open311 keys, reports (一表通), photos and the statistics CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can_on, ensure_can, scope_roots
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.pagination import keyset_page
from zhengtong.core.workflow import timeline
from zhengtong.grid import actions, reports, selectors, services
from zhengtong.grid.models import (
    CLOSED_STATES,
    Category,
    GridCell,
    Incident,
    ReportTemplate,
)

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit

ERRORS = (ValidationError, Conflict, PermissionDenied)
SOURCE_LABELS = {
    "incidents": gettext_lazy("incidents"),
    "patrols": gettext_lazy("patrol check-ins"),
    "persons": gettext_lazy("population registry"),
    "legal_entities": gettext_lazy("legal-entity registry"),
    "grid_workers": gettext_lazy("grid assignments"),
    "cells": gettext_lazy("grid cells"),
}


def _categories():
    return Category.objects.filter(is_active=True).order_by("kind", "code")


def _geojson(cells) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": c.name, "code": c.code},
                "geometry": json.loads(c.geometry),
            }
            for c in cells
        ],
    }


# --- grid worker --------------------------------------------------------------------------


@staff
def workbench(request):
    cells = list(selectors.cells_for(request.user)[:50])
    return render(
        request,
        "grid/workbench.html",
        {
            "tasks": selectors.my_tasks(request.user),
            "cells": cells,
            "patrols": selectors.patrols_for(request.user, worker=request.user, limit=10),
            "geojson": _geojson(cells[:20]),
        },
    )


@staff
def nearby(request):
    try:
        lat = services.parse_coordinate(request.GET.get("lat"), "lat", -90, 90)
        lng = services.parse_coordinate(request.GET.get("lng"), "lng", -180, 180)
    except ValidationError as exc:
        return render(request, "grid/partials/nearby.html", {"error": exc.message})
    return render(request, "grid/partials/nearby.html", {"rows": selectors.nearby(request.user, lat, lng)})


@staff
def patrol_check_in(request):
    if request.method != "POST":
        return redirect("grid:workbench")
    try:
        services.patrol_check_in(
            actor=request.user,
            lat=request.POST.get("lat"),
            lng=request.POST.get("lng"),
            note=request.POST.get("note", ""),
            hazards_found=request.POST.get("hazards_found") or 0,
        )
        messages.success(request, _("Checked in."))
    except ERRORS as exc:
        messages.error(request, exc.message)
    return redirect("grid:workbench")


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"))
    description = forms.CharField(
        label=gettext_lazy("What did you see?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    lat = forms.CharField(label=gettext_lazy("Latitude"), max_length=20)
    lng = forms.CharField(label=gettext_lazy("Longitude"), max_length=20)
    address = forms.CharField(
        label=gettext_lazy("Address or landmark (optional)"), max_length=200, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [
            (c.code, f"{c.code} {c.name}") for c in _categories()
        ]


@staff
def report(request):
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        photos = request.FILES.getlist("photos")
        try:
            if len(photos) > 6:
                raise ValidationError.for_field("photos", _("at most 6 photos per incident"))
            from django.db import transaction

            with transaction.atomic():
                incident = services.incident_report(
                    actor=request.user,
                    category=form.cleaned_data["category"],
                    lat=form.cleaned_data["lat"],
                    lng=form.cleaned_data["lng"],
                    description=form.cleaned_data["description"],
                    address=form.cleaned_data["address"],
                )
                for upload in photos:
                    services.photo_add(actor=request.user, incident=incident, data=upload.read())
            messages.success(request, _("Incident #%d reported.") % incident.pk)
            return redirect("grid:incident_detail", incident.pk)
        except ERRORS as exc:
            apply_domain_error(form, exc)
    cells = list(selectors.cells_for(request.user)[:20])
    return render(request, "grid/report.html", {"form": form, "geojson": _geojson(cells)})


# --- incidents ----------------------------------------------------------------------------


@staff
def incidents(request):
    state = request.GET.get("state", "")
    category = request.GET.get("category", "")
    page = keyset_page(
        selectors.incidents_for(request.user, state=state, category=category),
        order=["-id"],
        cursor=request.GET.get("cursor"),
        limit=50,
    )
    return render(
        request,
        "grid/incidents.html",
        {
            "page": page,
            "state": state,
            "category": category,
            "states": list(Incident.workflow.states.items()),
            "categories": _categories(),
        },
    )


def _dispatch_targets(incident: Incident):
    county_path = incident.county.path
    departments = account_selectors.departments_active(at_paths=[county_path, incident.township.path])
    return departments, [incident.township, incident.county]


@staff
def incident_detail(request, incident_id: int):
    incident = selectors.incident_get_for(request.user, incident_id)
    if request.method == "POST":
        try:
            if request.FILES.get("photo"):
                services.photo_add(actor=request.user, incident=incident, data=request.FILES["photo"].read())
            else:
                version = request.POST.get("version", "")
                if not version.isdigit():
                    raise ValidationError.for_field("version", _("reload the page and try again"))
                dept_id = request.POST.get("department", "")
                unit_id = request.POST.get("unit", "")
                merge_id = request.POST.get("merge_into", "")
                actions.incident_action(
                    actor=request.user,
                    incident=incident,
                    action=request.POST.get("action", ""),
                    note=request.POST.get("note", ""),
                    expected_version=int(version),
                    department=account_selectors.department_by_id(dept_id),
                    unit=account_selectors.org_unit_by_id(unit_id),
                    merge_into=selectors.incident_get_for(request.user, int(merge_id))
                    if merge_id.isdigit()
                    else None,
                )
            messages.success(request, _("Done."))
            return redirect("grid:incident_detail", incident.pk)
        except ERRORS as exc:
            messages.error(request, exc.message)
    departments, units = _dispatch_targets(incident)
    suggested = services.route(incident) if incident.state in ("reported", "registered") else (None, None)
    return render(
        request,
        "grid/incident_detail.html",
        {
            "incident": incident,
            "actions": incident.workflow.available(incident, request.user),
            "timeline": timeline(incident),
            "photos": list(incident.photos.all()),
            "duplicates": services.duplicates_for(incident) if incident.is_open else [],
            "departments": departments,
            "units": units,
            "suggested": suggested,
            "can_original": can_on(request.user, "grid.view", incident),
        },
    )


# --- command room -------------------------------------------------------------------------


def _townships_for(user) -> list[OrgUnit]:
    roots = scope_roots(user, "grid.dispatch")
    townships = []
    for root in roots:
        townships.extend(
            account_selectors.org_units_at_levels(
                ["township"], within=root, ids=selectors.cell_unit_ancestors(levels_up=2)
            )
        )
        unit = account_selectors.org_unit_by_path(root)
        if unit is not None and unit.level in ("village", "grid"):
            # A grant below a township still shows that township's room, scoped to the grant.
            townships.append(account_selectors.org_unit_by_code(unit.code[:9]))
    seen, out = set(), []
    for t in sorted(townships, key=lambda u: u.code):
        if t.pk not in seen:
            seen.add(t.pk)
            out.append(t)
    return out


def _township(request) -> tuple[OrgUnit | None, list[OrgUnit]]:
    townships = _townships_for(request.user)
    wanted = request.GET.get("township", "")
    chosen = next((t for t in townships if str(t.pk) == wanted), townships[0] if townships else None)
    return chosen, townships


@staff
def command_room(request):
    ensure_can(request.user, "grid.dispatch")
    township, townships = _township(request)
    context = {"township": township, "townships": townships}
    if township is not None:
        overdue, soon = selectors.clock_lists(request.user, township.pk)
        counts = selectors.state_counts(request.user, township.pk)
        context.update(
            overdue=overdue,
            soon=soon,
            waiting=selectors.incidents_for(request.user, township_id=township.pk)
            .filter(state__in=["reported", "registered"])
            .order_by("reported_at")[:20],
            dept_stats=selectors.department_stats(request.user, township.pk),
            counts=[(code, label, counts.get(code, 0)) for code, label in Incident.workflow.states.items()],
            states=[
                (code, str(label))
                for code, label in Incident.workflow.states.items()
                if code not in CLOSED_STATES
            ],
            categories=_categories(),
        )
    return render(request, "grid/command_room.html", context)


@staff
def command_map(request):
    """Map data for the command room: the township's cells (GeoJSON) and its incidents."""
    ensure_can(request.user, "grid.dispatch")
    township, _townships = _township(request)
    if township is None:
        raise Http404
    state = request.GET.get("state", "")
    if state and state not in Incident.workflow.states:
        raise ValidationError.for_field("state", _("unknown state"))
    category = request.GET.get("category", "")
    points = selectors.map_points(request.user, township.pk, state=state)
    if category:
        points = [p for p in points if p[4] == category]
    cells = selectors.cells_within(township.path)
    return JsonResponse(
        {
            "geojson": _geojson(cells),
            "points": [{"id": p[0], "value": [p[1], p[2]], "state": p[3], "category": p[4]} for p in points],
            "states": {k: str(v) for k, v in Incident.workflow.states.items()},
        }
    )


@staff
def command_dispatch(request, incident_id: int):
    """One-click dispatch (htmx): register when needed, then dispatch as the rules route it."""
    incident = selectors.incident_get_for(request.user, incident_id)
    error = ""
    if request.method == "POST":
        try:
            services.incident_quick_dispatch(actor=request.user, incident=incident)
        except ERRORS as exc:
            error = exc.message
    incident = selectors.incident_get_for(request.user, incident_id)
    return render(request, "grid/partials/waiting_row.html", {"i": incident, "error": error})


# --- cells, keys --------------------------------------------------------------------------


class CellImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("GeoJSON file (FeatureCollection)"))


@staff
def cells(request):
    ensure_can(request.user, "grid.manage")
    form = CellImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 20 * 1024 * 1024:
                raise ValidationError.for_field("file", _("the file is larger than 20 MB"))
            result = services.cells_import(actor=request.user, collection=upload.read())
            messages.success(request, _("Imported: %(created)d new, %(updated)d updated.") % result)
            return redirect("grid:cells")
        except ValidationError as exc:
            for msg in exc.fields.get("file", [exc.message]):
                form.add_error("file", msg)
    page = keyset_page(
        selectors.cells_for(request.user), order=["code"], cursor=request.GET.get("cursor"), limit=100
    )
    return render(request, "grid/cells.html", {"form": form, "page": page})


@public
def cells_geojson(request):
    """Grid cell outlines (not personal data) for maps; ?township=<code> narrows them."""
    qs = GridCell.objects.all()
    code = request.GET.get("township", "")
    if code:
        qs = qs.filter(code__startswith=code[:9])
    return JsonResponse(_geojson(qs[:20000]))


class KeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Client name"), max_length=100)


@staff
def keys(request):
    ensure_can(request.user, "grid.manage")
    unit = request.user.org_unit
    form = KeyForm(request.POST or None)
    raw = None
    if request.method == "POST":
        try:
            if request.POST.get("revoke", "").isdigit():
                key = selectors.open311_key_get(int(request.POST["revoke"]))
                if key is None:
                    raise ValidationError.for_field("revoke", _("no such key"))
                services.open311_key_revoke(actor=request.user, key=key)
                messages.success(request, _("Key revoked."))
                return redirect("grid:keys")
            if form.is_valid():
                if unit is None:
                    raise ValidationError.for_field("name", _("your account has no org unit"))
                _key, raw = services.open311_key_create(
                    actor=request.user, name=form.cleaned_data["name"], org_unit=unit
                )
        except ERRORS as exc:
            messages.error(request, exc.message)
    roots = scope_roots(request.user, "grid.manage")
    keys = selectors.open311_keys_in(roots=roots)[:100]
    return render(request, "grid/keys.html", {"form": form, "keys": keys, "raw": raw})


# --- reports (一表通) ---------------------------------------------------------------------


def _report_units(user) -> list[OrgUnit]:
    roots = scope_roots(user, "grid.reports")
    units = []
    for root in roots:
        units.extend(
            account_selectors.org_units_at_levels(
                ["township", "county"], within=root, ids=selectors.cell_unit_ancestors(levels_up=2)
            )
        )
        units.extend(
            account_selectors.org_units_at_levels(
                ["county"], within=root, ids=selectors.cell_unit_ancestors(levels_up=3)
            )
        )
        if root:
            unit = account_selectors.org_unit_by_path(root)
            if unit is not None and unit.level in ("village", "grid"):
                units.append(unit)
    return sorted({u.pk: u for u in units}.values(), key=lambda u: u.code)


@staff
def reports_index(request):
    ensure_can(request.user, "grid.reports")
    return render(request, "grid/reports.html", {"templates": ReportTemplate.objects.all()})


@staff
def report_run(request, code: str):
    ensure_can(request.user, "grid.reports")
    template = ReportTemplate.objects.filter(code=code).first()
    if template is None:
        raise Http404
    units = _report_units(request.user)
    unit = next((u for u in units if str(u.pk) == request.GET.get("unit", "")), units[0] if units else None)
    period = request.GET.get("period") or timezone.localdate().strftime("%Y-%m")
    run = None
    try:
        reports.period_bounds(period)
        if unit is not None:
            if request.method == "POST":
                for spec in template.fields:
                    if spec.get("source") == "manual" and request.POST.get(spec["key"], "").strip():
                        reports.fact_enter(
                            actor=request.user,
                            org_unit=unit,
                            key=spec["key"],
                            period=period,
                            value=request.POST[spec["key"]],
                            standing=bool(spec.get("standing")),
                        )
                messages.success(request, _("Saved. Every report asking for these figures uses them now."))
            run = reports.report_produce(actor=request.user, template=template, org_unit=unit, period=period)
    except ERRORS as exc:
        messages.error(request, exc.message)
    rows = []
    english = request.LANGUAGE_CODE == "en"
    if run is not None:
        for spec in template.fields:
            rows.append(
                {
                    "spec": spec,
                    "label": spec.get("label_en") if english and spec.get("label_en") else spec["label"],
                    "source": SOURCE_LABELS.get(spec.get("source"), spec.get("source")),
                    "value": run.values.get(spec["key"]),
                    "manual": spec.get("source") == "manual",
                }
            )
    return render(
        request,
        "grid/report_run.html",
        {"template": template, "units": units, "unit": unit, "period": period, "run": run, "rows": rows},
    )


@staff
def report_export(request, code: str, fmt: str):
    ensure_can(request.user, "grid.reports")
    template = ReportTemplate.objects.filter(code=code).first()
    unit = account_selectors.org_unit_by_id(request.GET.get("unit"))
    period = request.GET.get("period", "")
    if template is None or unit is None:
        raise Http404
    try:
        run = reports.report_produce(actor=request.user, template=template, org_unit=unit, period=period)
    except ValidationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    english = request.LANGUAGE_CODE == "en"
    name = f"{template.code}-{unit.code}-{period}"
    if fmt == "csv":
        response = HttpResponse(
            reports.export_csv(run, english=english), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            reports.export_xlsx(run, english=english),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- photos, statistics -------------------------------------------------------------------


@public
def photo_public(request, token):
    """The copy without metadata: public for public categories, otherwise for whoever may see
    the incident (``selectors.photo_get_for``)."""
    photo = selectors.photo_get_for(request.user, token)
    return _file(photo.public, photo.content_type)


@authenticated
def photo_original(request, token):
    """The original as uploaded (EXIF, GPS): staff who may see the incident's page only."""
    photo = selectors.photo_get_for(request.user, token, original=True)
    return _file(photo.original, photo.content_type)


@public
def photo_by_id_gone(request, photo_id: int):
    """The old sequential photo URLs (/grid/photos/<id>/...) answer 404 for everyone."""
    raise Http404


def _file(rel: str, content_type: str) -> FileResponse:
    path = (services.photo_root() / rel).resolve()
    if not str(path).startswith(str(services.photo_root().resolve())) or not Path(path).is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=content_type)  # noqa: SIM115 - FileResponse closes it
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@public
def stats_csv(request):
    """Incident statistics by month, township and category (aggregates only; open data)."""
    response = HttpResponse(services.stats_csv_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="incident-statistics.csv"'
    return response
