"""Pages of the catalogue: the open-data portal (public) and the publishers' console.

Views parse input, call one selector or service and render; permissions are decided in the
services and selectors. Rows shown to the public always come from the desensitized "public"
variant (``selectors.served_variant``).
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengtong.accounts.models import Department
from zhengtong.accounts.permissions import can, can_on, scope_q
from zhengtong.catalog import forms, selectors, services
from zhengtong.catalog.models import (
    DataApplication,
    DataResource,
    LoadJob,
    Openness,
)
from zhengtong.core import cache
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import NotFound, ValidationError, ZhengtongError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.workflow import timeline

PAGE_SIZE = 20
CHARTS_CACHE = "catalog.charts"
PREVIEW_ROWS = 20
DOWNLOAD_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json; charset=utf-8", "json"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
}


# =========================================================================== public portal


@public
def portal(request):
    """Dataset list: keyword search (no segmentation needed), facets, sorting, keyset pages."""
    q = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", "relevance")
    if sort not in selectors.SORTS:
        sort = "relevance"
    filters = {
        name: request.GET.getlist(name) for name in selectors.FACET_FIELDS if request.GET.getlist(name)
    }
    try:
        result = selectors.resource_search(
            user=request.user,
            q=q,
            filters=filters,
            sort=sort,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except ValidationError as exc:
        messages.error(request, exc.message)
        result = selectors.resource_search(user=request.user, q=q, sort=sort, limit=PAGE_SIZE)
        filters = {}
    facet_titles = {
        "domain": _("Domain"),
        "department": _("Department"),
        "openness": _("Openness"),
        "format": _("Format"),
        "grade": _("Grade"),
        "update_frequency": _("Update frequency"),
    }
    facets = []
    for name, values in result.facets.items():
        entries = []
        for value, label, count in values:
            chosen = value in filters.get(name, [])
            params = {k: list(v) for k, v in filters.items()}
            params[name] = (
                [v for v in params.get(name, []) if v != value] if chosen else [*params.get(name, []), value]
            )
            query = {"q": q, "sort": sort, **{k: v for k, v in params.items() if v}}
            entries.append(
                {
                    "value": value,
                    "label": label,
                    "count": count,
                    "chosen": chosen,
                    "url": "?" + urlencode(query, doseq=True),
                }
            )
        facets.append({"name": name, "title": facet_titles[name], "values": entries})
    next_url = None
    if result.next_cursor:
        next_url = "?" + urlencode(
            {"q": q, "sort": sort, **filters, "cursor": result.next_cursor}, doseq=True
        )
    usage = {}
    ids = [r.pk for r in result.items]
    if ids:
        from django.db.models import Sum

        from zhengtong.catalog.models import UsageDaily

        for row in (
            UsageDaily.objects.filter(resource_id__in=ids)
            .values("resource_id")
            .annotate(v=Sum("views"), d=Sum("downloads"))
        ):
            usage[row["resource_id"]] = (row["v"], row["d"])
    items = [
        {"resource": r, "views": usage.get(r.pk, (0, 0))[0], "downloads": usage.get(r.pk, (0, 0))[1]}
        for r in result.items
    ]
    context = {
        "q": q,
        "sort": sort,
        "sorts": [
            ("relevance", _("Relevance")),
            ("modified", _("Recently updated")),
            ("title", _("Title")),
            ("views", _("Most viewed")),
        ],
        "filters": filters,
        "result": result,
        "items": items,
        "facets": facets,
        "next_url": next_url,
        "first_url": "?" + urlencode({"q": q, "sort": sort, **filters}, doseq=True),
        "is_later_page": bool(request.GET.get("cursor")),
    }
    if request.headers.get("HX-Request"):
        return render(request, "catalog/partials/results.html", context)
    return render(request, "catalog/portal.html", context)


def _schema_rows(version) -> list[dict[str, Any]]:
    rows = []
    for f in version.fields if version else []:
        policy = f.get("policy") or {"op": "keep"}
        rows.append(
            {
                "name": f["name"],
                "title": f.get("title") or "",
                "type": f.get("type", "string"),
                "format": "" if f.get("format") in (None, "default") else f["format"],
                "category": (f.get("classification") or {}).get("category", "none"),
                "grade": f.get("grade", "L1"),
                "public_grade": f.get("public_grade", f.get("grade", "L1")),
                "policy": policy.get("op", "keep"),
                "policy_detail": ", ".join(f"{k}={v}" for k, v in policy.items() if k != "op"),
                "confirmed": bool(f.get("confirmed")),
                "required": bool((f.get("constraints") or {}).get("required")),
            }
        )
    return rows


def _charts(resource: DataResource, version, variant: str, allowed: list[str] | None) -> list[dict]:
    """Automatic charts: top values of categorical columns (facets) and histograms of numeric
    columns (count aggregates per bin); cached per version and variant (core.cache)."""
    key = f"{version.pk}:{variant}:{','.join(allowed or [])}"
    return cache.cached(CHARTS_CACHE, key, lambda: _charts_build(version, variant, allowed), 3600)


def _charts_build(version, variant: str, allowed: list[str] | None) -> list[dict]:
    from zhengtong.datastore import engine

    fields = [f for f in version.fields if allowed is None or f["name"] in allowed]
    charts: list[dict] = []
    categorical = [
        f
        for f in fields
        if f.get("type", "string") in ("string", "boolean")
        and (f.get("policy") or {}).get("op", "keep") == "keep"
        and (f.get("classification") or {}).get("category", "none") in ("none",)
    ]
    numeric = [
        f
        for f in fields
        if f.get("type") in ("integer", "number") and not f["name"].lower().endswith(("id", "_no", "code"))
    ]
    total = version.row_count or 0
    if categorical and total:
        result = engine.query(
            version.table_key,
            version.store_version,
            variant,
            schema=version.schema,
            limit=0,
            count="none",
            facets=[f["name"] for f in categorical[:10]],
            facet_size=10,
        )
        for f in categorical:
            values = result.facets.get(f["name"]) or []
            distinct_top = [(v, n) for v, n in values if v not in (None, "")]
            covered = sum(n for _v, n in distinct_top)
            # A column worth charting repeats its values: the top ten cover a fair share of rows.
            if len(distinct_top) >= 2 and covered >= total * 0.3 and distinct_top[0][1] > 1:
                charts.append(
                    {
                        "field": f["name"],
                        "title": f.get("title") or f["name"],
                        "kind": "top",
                        "rows": [{"name": str(v), "value": n} for v, n in distinct_top],
                    }
                )
            if len([c for c in charts if c["kind"] == "top"]) >= 3:
                break
    for f in numeric[:3]:
        name = f["name"]
        agg = engine.query(
            version.table_key,
            version.store_version,
            variant,
            schema=version.schema,
            limit=0,
            count="none",
            aggregates=[("min", name), ("max", name)],
        ).aggregates
        if not agg:
            continue
        lo, hi = agg[0].get(f"min_{name}"), agg[0].get(f"max_{name}")
        if lo is None or hi is None or lo == hi:
            continue
        lo, hi = float(lo), float(hi)
        bins = 8
        width = (hi - lo) / bins
        rows = []
        for i in range(bins):
            start = lo + i * width
            end = hi if i == bins - 1 else lo + (i + 1) * width
            op = "lte" if i == bins - 1 else "lt"
            value_start = start if f.get("type") == "number" else math.floor(start)
            value_end = end if f.get("type") == "number" else math.ceil(end)
            counted = engine.query(
                version.table_key,
                version.store_version,
                variant,
                schema=version.schema,
                limit=0,
                count="exact",
                filters=[(name, "gte", value_start), (name, op, value_end)],
            ).total
            label = f"{_fmt(start)}–{_fmt(end)}"
            rows.append({"name": label, "value": int(counted or 0)})
        charts.append({"field": name, "title": f.get("title") or name, "kind": "histogram", "rows": rows})
    for i, chart in enumerate(charts):
        chart["id"] = f"chart-{i}"
        chart["data_id"] = f"chart-{i}-data"
    return charts


def _fmt(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


@public
def dataset(request, name: str):
    """A dataset's page: metadata, schema with grades, preview, charts, downloads, API examples,
    versions and usage. Conditional datasets show rows only to approved applicants."""
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    version = resource.current_version
    allowed, limited_fields = selectors.rows_access(user=request.user, resource=resource)
    variant = selectors.served_variant(user=request.user, resource=resource)
    preview = None
    charts: list[dict] = []
    preview_error = ""
    if allowed and version is not None:
        from zhengtong.datastore import engine

        fields = limited_fields or [f["name"] for f in version.fields]
        try:
            result = engine.query(
                version.table_key,
                version.store_version,
                variant,
                schema=version.schema,
                fields=fields,
                limit=PREVIEW_ROWS,
                after=request.GET.get("after") or None,
                count="estimate",
            )
            preview = {
                "fields": fields,
                "rows": [[row.get(f) for f in fields] for row in result.rows],
                "total": result.total,
                "estimate": result.total_is_estimate,
                "next": ("?" + urlencode({"after": result.next_cursor}) + "#preview")
                if result.next_cursor
                else None,
            }
            charts = _charts(resource, version, variant, limited_fields)
        except ValidationError as exc:
            preview_error = exc.message
    if resource.state == "published":
        services.usage_record(resource, "views")
    usage = selectors.usage_totals(resource=resource)
    usage_30 = selectors.usage_totals(resource=resource, days=30)
    base = request.build_absolute_uri("/").rstrip("/")
    application = selectors.approved_application(user=request.user, resource=resource)
    pending = (
        DataApplication.objects.filter(resource=resource, applicant=request.user, state="submitted").first()
        if request.user.is_authenticated
        else None
    )
    context = {
        "resource": resource,
        "version": version,
        "schema_rows": _schema_rows(version),
        "preview": preview,
        "preview_error": preview_error,
        "charts": charts,
        "rows_allowed": allowed,
        "limited_fields": limited_fields,
        "variant": variant,
        "versions": selectors.resource_versions(resource=resource)[:20],
        "usage": usage,
        "usage_30": usage_30,
        "download_formats": list(DOWNLOAD_TYPES),
        "api_examples": {
            "ckan": f'curl "{base}/api/3/action/datastore_search?resource_id={resource.name}&limit=5"',
            "datasette": f'curl "{base}/data/{resource.name}.json?_size=5&_shape=objects"',
            "catalog": f'curl "{base}/api/v1/catalog/resources/{resource.name}"',
            "key": f'curl -H "X-API-Key: ztd_…" "{base}/api/3/action/datastore_search?resource_id={resource.name}"',
        },
        "application": application,
        "pending_application": pending,
        "can_manage": selectors.may_see_staff(request.user, resource),
        "Openness": Openness,
    }
    return render(request, "catalog/dataset.html", context)


@public
def download(request, name: str, fmt: str):
    """Download the current version (CSV with UTF-8 BOM, XLSX, JSON, Parquet); CSV and XLSX
    cells that start with = + - @ are neutralized by the datastore export."""
    if fmt not in DOWNLOAD_TYPES:
        raise Http404
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    allowed, limited_fields = selectors.rows_access(user=request.user, resource=resource)
    version = resource.current_version
    if not allowed or version is None:
        raise Http404
    services.rate_limit_check(request)
    from zhengtong.datastore import engine

    variant = selectors.served_variant(user=request.user, resource=resource)
    stream = engine.export(
        version.table_key, version.store_version, variant, fmt, fields=limited_fields, schema=version.schema
    )
    content_type, ext = DOWNLOAD_TYPES[fmt]
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{resource.name}-v{version.number}.{ext}"'
    response["X-Content-Type-Options"] = "nosniff"
    services.usage_record(resource, "downloads")
    return response


@public
def department(request, pk: int):
    dept = get_object_or_404(Department.objects.select_related("org_unit"), pk=pk)
    resources = selectors.department_resources(user=request.user, department=dept)
    return render(request, "catalog/department.html", {"department": dept, "resources": resources})


@authenticated
def apply(request, name: str):
    """Apply for a conditionally open dataset's rows (the owning department decides)."""
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    names = [f["name"] for f in (resource.current_version.fields if resource.current_version else [])]
    form = forms.ApplicationForm(request.POST or None, field_names=names)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_submit(
                actor=request.user,
                resource=resource,
                purpose=form.cleaned_data["purpose"],
                fields=form.cleaned_data["fields"],
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your application was sent to %s.") % resource.department.name)
            return redirect("catalog:my_data")
    return render(
        request,
        "catalog/apply.html",
        {"resource": resource, "form": form},
        status=422 if form.errors else 200,
    )


@authenticated
def my_data(request):
    """A data user's API keys and applications."""
    form = forms.KeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = services.api_key_create(actor=request.user, name=form.cleaned_data["name"])
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            form = forms.KeyForm()
    return render(
        request,
        "catalog/my_data.html",
        {
            "form": form,
            "secret": secret,
            "keys": selectors.keys_of(user=request.user),
            "applications": list(selectors.applications_of(user=request.user)[:100]),
        },
    )


@authenticated
@require_POST
def key_revoke(request, pk: int):
    key = selectors.key_get(pk)
    if key is None or key.owner_id != request.user.pk:
        raise Http404
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key was revoked."))
    return redirect("catalog:my_data")


# =========================================================================== console


def _departments_for(user):
    qs = Department.objects.select_related("org_unit").filter(is_active=True)
    qs = qs.filter(scope_q(user, "catalog.edit"))
    if not user.is_superuser:
        from zhengtong.accounts.permissions import grants_of

        limited = {g.department_id for g in grants_of(user) if g.allows("catalog.edit") and g.department_id}
        unlimited = any(g.allows("catalog.edit") and g.department_id is None for g in grants_of(user))
        if limited and not unlimited:
            qs = qs.filter(pk__in=limited)
    return list(qs.order_by("org_unit__path", "code")[:200])


@staff
def my_resources(request):
    resources = list(selectors.my_resources(user=request.user)[:200])
    return render(
        request,
        "catalog/console/resources.html",
        {"resources": resources, "can_create": can(request.user, "catalog.edit")},
    )


@staff
def resource_new(request):
    departments = _departments_for(request.user)
    form = forms.ResourceForm(
        request.POST or None, departments=departments, initial={"openness": "unconditional"}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        dept = next((d for d in departments if d.pk == data.pop("department")), None)
        if dept is None:
            form.add_error("department", _("choose one of your departments"))
        else:
            name = data.pop("name")
            try:
                resource = services.resource_create(actor=request.user, department=dept, name=name, **data)
            except ZhengtongError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Data resource created. Now upload its data."))
                return redirect("catalog:resource_manage", name=resource.name)
    return render(
        request,
        "catalog/console/resource_form.html",
        {"form": form, "creating": True},
        status=422 if form.errors else 200,
    )


def _staff_resource(request, name: str) -> DataResource:
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    if not selectors.may_see_staff(request.user, resource):
        raise Http404
    return resource


@staff
def resource_edit(request, name: str):
    resource = _staff_resource(request, name)
    initial = {k: getattr(resource, k) for k in services.METADATA_FIELDS}
    initial["keywords"] = ", ".join(resource.keywords)
    form = forms.ResourceForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(actor=request.user, resource=resource, **form.cleaned_data)
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:resource_manage", name=resource.name)
    return render(
        request,
        "catalog/console/resource_form.html",
        {"form": form, "resource": resource, "creating": False},
        status=422 if form.errors else 200,
    )


@staff
def resource_manage(request, name: str):
    resource = _staff_resource(request, name)
    version = resource.current_version
    transitions = [
        {"name": t.name, "label": t.label, "note_required": t.note_required}
        for t in DataResource.workflow.available(resource, request.user)
    ]
    return render(
        request,
        "catalog/console/resource.html",
        {
            "resource": resource,
            "version": version,
            "schema_rows": _schema_rows(version),
            "loads": selectors.resource_loads(resource=resource, limit=10),
            "upload_form": forms.UploadForm(),
            "transitions": transitions,
            "timeline": timeline(resource),
            "can_edit": can_on(request.user, "catalog.edit", resource),
            "policy_choices": forms.POLICY_CHOICES,
            "grade_choices": forms.GRADE_CHOICES,
        },
    )


@staff
@require_POST
def upload(request, name: str):
    resource = _staff_resource(request, name)
    form = forms.UploadForm(request.POST, request.FILES)
    job = None
    if form.is_valid():
        try:
            job = services.load_start(
                actor=request.user,
                resource=resource,
                uploaded_file=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                file_name=form.cleaned_data["file"].name,
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
    if request.headers.get("HX-Request"):
        if job is None:
            return render(request, "catalog/console/upload_errors.html", {"form": form}, status=422)
        return render(request, "catalog/console/load_status.html", {"job": job})
    if job is None:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    else:
        messages.success(request, _("The load was started."))
    return redirect("catalog:resource_manage", name=resource.name)


@staff
def load_status(request, pk: int):
    job = get_object_or_404(LoadJob.objects.select_related("resource", "version"), pk=pk)
    if not selectors.may_see_staff(request.user, job.resource):
        raise Http404
    template = (
        "catalog/console/load_status.html"
        if request.headers.get("HX-Request")
        else "catalog/console/load.html"
    )
    return render(request, template, {"job": job})


@staff
@require_POST
def transition(request, name: str):
    resource = _staff_resource(request, name)
    form = forms.TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.resource_transition(
                actor=request.user,
                resource=resource,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"] or "",
                expected_version=form.cleaned_data["version"],
            )
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Done: %s.") % resource.state_label)
    back = request.POST.get("next") or ""
    if back == "review":
        return redirect("catalog:review_queue")
    return redirect("catalog:resource_manage", name=resource.name)


@staff
@require_POST
def fields(request, name: str):
    """Confirm or override field grades and policies (posted per field: grade-<i>, policy-<i>)."""
    resource = _staff_resource(request, name)
    version = resource.current_version
    if version is None:
        raise Http404
    changes: dict[str, dict] = {}
    for i, f in enumerate(version.fields):
        grade = request.POST.get(f"grade-{i}", "")
        policy = request.POST.get(f"policy-{i}", "")
        change: dict[str, Any] = {}
        if grade and grade != f.get("grade"):
            change["grade"] = grade
        if policy:
            op, _sep, to = policy.partition(":")
            wanted = {"op": op, "to": to} if to else {"op": op}
            if (f.get("policy") or {}).get("op") != op or (to and (f.get("policy") or {}).get("to") != to):
                change["policy"] = wanted
        if change or request.POST.get(f"confirm-{i}"):
            changes[f["name"]] = change
    try:
        services.field_grades_set(
            actor=request.user,
            resource=resource,
            changes=changes,
            confirm_all=bool(request.POST.get("confirm_all")),
            note=request.POST.get("note", "")[:300],
        )
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Field grades saved as a new version."))
    return redirect("catalog:resource_manage", name=resource.name)


@staff
def review_queue(request):
    resources = list(selectors.review_queue(user=request.user)[:200])
    return render(request, "catalog/console/review.html", {"resources": resources})


@staff
def applications(request):
    items = list(selectors.applications_to_decide(user=request.user)[:200])
    return render(request, "catalog/console/applications.html", {"applications": items})


@staff
@require_POST
def application_decide(request, pk: int):
    application = selectors.applications_to_decide(user=request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    try:
        services.application_decide(
            actor=request.user,
            application=application,
            action=request.POST.get("action", ""),
            note=request.POST.get("note", ""),
            expected_version=int(request.POST["version"])
            if request.POST.get("version", "").isdigit()
            else None,
        )
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %s.") % application.state_label)
    return redirect("catalog:applications")
