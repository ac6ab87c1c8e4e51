"""The open-data portal (public): search, a dataset's page, downloads, a department's datasets."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from zhengtong.catalog import further, hooks, selectors, services
from zhengtong.catalog.compat.common import UNSEARCHED_POLICIES
from zhengtong.catalog.models import Openness
from zhengtong.catalog.views.charts import charts_for
from zhengtong.catalog.views.common import _schema_rows
from zhengtong.catalog.views.maps import map_points
from zhengtong.core.access import public
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datastore import engine

PAGE_SIZE = 20
PREVIEW_ROWS = 20
DOWNLOAD_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json; charset=utf-8", "json"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
}


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
    ids = [r.pk for r in result.items]
    usage = selectors.usage_by_resource(ids) if ids else {}
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


def _searched_schema(schema: dict, variant: str, fields: list[str]) -> dict:
    """The preview's search covers the shown fields, and on the public variant not the masked,
    pseudonymized or suppressed ones (the same rule as the APIs' q)."""
    out = []
    for f in schema.get("fields", []):
        hidden = f["name"] not in fields or (
            variant != "raw" and (f.get("policy") or {}).get("op") in UNSEARCHED_POLICIES
        )
        out.append({**f, "searchable": False} if hidden else f)
    return {**schema, "fields": out}


def _highlight(value, q: str):
    """A preview cell: None, or a list of (text, is-match) parts marking where ``q`` occurs
    (case-insensitive, as the search matched)."""
    if value is None:
        return None
    text = str(value)
    if not q:
        return [(text, False)]
    parts, lower, needle, at = [], text.lower(), q.lower(), 0
    while needle:
        found = lower.find(needle, at)
        if found < 0:
            break
        if found > at:
            parts.append((text[at:found], False))
        parts.append((text[found : found + len(needle)], True))
        at = found + len(needle)
    if at < len(text):
        parts.append((text[at:], False))
    return parts


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
    points: list[list] | None = None
    preview_error = ""
    if allowed and version is not None:
        fields = limited_fields or [f["name"] for f in version.fields]
        q = (request.GET.get("q") or "").strip()[:200]
        try:
            result = engine.query(
                version.table_key,
                version.store_version,
                variant,
                schema=_searched_schema(version.schema, variant, fields),
                fields=fields,
                limit=PREVIEW_ROWS,
                after=request.GET.get("after") or None,
                q=q or None,
                count="estimate",
            )
            preview = {
                "fields": fields,
                "rows": [[_highlight(row.get(f), q) for f in fields] for row in result.rows],
                "q": q,
                "ranked": result.ranked,
                "total": result.total,
                "estimate": result.total_is_estimate,
                "next": (
                    "?" + urlencode({"after": result.next_cursor, **({"q": q} if q else {})}) + "#preview"
                )
                if result.next_cursor
                else None,
            }
            charts = charts_for(resource, version, variant, limited_fields)
            points = map_points(resource, version, variant, limited_fields)
        except ValidationError as exc:
            preview_error = exc.message
    if resource.state == "published":
        services.usage_record(resource, "views")
    usage = selectors.usage_totals(resource=resource)
    usage_30 = selectors.usage_totals(resource=resource, days=30)
    base = request.build_absolute_uri("/").rstrip("/")
    application = selectors.approved_application(user=request.user, resource=resource)
    pending = selectors.pending_application(user=request.user, resource=resource)
    context = {
        "resource": resource,
        "version": version,
        "schema_rows": _schema_rows(version),
        "preview": preview,
        "preview_error": preview_error,
        "charts": charts,
        "map_points": points,
        "rows_allowed": allowed,
        "limited_fields": limited_fields,
        "variant": variant,
        "versions": selectors.resource_versions(resource=resource)[:20],
        "usage": usage,
        "usage_30": usage_30,
        "download_formats": list(DOWNLOAD_TYPES),
        # The data table, dictionary, map data, documents and API links (catalog.further).
        "further": [
            r for r in further.resource_list(user=request.user, resource=resource) if r["kind"] != "table"
        ],
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
        # Sections other modules add (reuses, feedback, quality): catalog.hooks.DATASET_PANELS.
        "panels": hooks.dataset_panels(request, resource),
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
    try:
        dept = selectors.department_get(pk)
    except NotFound:
        raise Http404 from None
    resources = selectors.department_resources(user=request.user, department=dept)
    return render(request, "catalog/department.html", {"department": dept, "resources": resources})
