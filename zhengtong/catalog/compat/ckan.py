"""CKAN Action API (``/api/3/action/<name>``, also ``/api/action/<name>`` as ckanapi calls it).

Read-only actions, CKAN's envelope and statuses: ``{"help", "success": true, "result"}`` or
``{"help", "success": false, "error": {"__type", "message", <field>: [...]}}`` with 404 Not Found
Error, 409 Validation Error, 403 Authorization Error, 400 for an unknown action or bad JSON.

Mapping: a CKAN package is a ``DataResource``; an organization is a department; a group is a
domain; tags are keywords; each package has one datastore resource (id = the package name)
holding its current version.
"""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from zhengtong.core.access import public
from zhengtong.core.errors import (
    AuthenticationRequired,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
    ZhengtongError,
    retry_after_header,
)

from . import common
from .common import as_bool, as_int

# CKAN fq/q field -> the catalog's filter (facet) name.
FQ_FIELDS = {
    "organization": "department",
    "owner_org": "department",
    "groups": "domain",
    "tags": "keyword",
    "res_format": "format",
    "openness": "openness",
    "grade": "grade",
    "update_frequency": "update_frequency",
    "frequency": "update_frequency",
    "domain": "domain",
    "department": "department",
    "spatial": "org_unit",
}
FACET_FIELDS = {
    "organization": "department",
    "groups": "domain",
    "tags": "keyword",
    "res_format": "format",
    "openness": "openness",
    "grade": "grade",
    "update_frequency": "update_frequency",
}
SORTS = {
    "score desc, metadata_modified desc": "relevance",
    "score desc": "relevance",
    "relevance": "relevance",
    "metadata_modified desc": "modified",
    "metadata_modified": "modified",
    "title_string asc": "title",
    "title_string": "title",
    "title asc": "title",
    "name asc": "title",
    "views_recent desc": "views",
    "views_total desc": "views",
}
ERROR_TYPES = {
    NotFound: (404, "Not Found Error"),
    ValidationError: (409, "Validation Error"),
    PermissionDenied: (403, "Authorization Error"),
    AuthenticationRequired: (403, "Authorization Error"),
    RateLimited: (429, "Rate Limit Error"),
}

_FQ_TOKEN = re.compile(
    r'\s*([+]?)([A-Za-z_][A-Za-z0-9_.]*):(?:"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|([^\s"()]+))\s*'
)
_CONNECTIVE = re.compile(r"\s*(AND|&&)\s*")


# --- the view ------------------------------------------------------------------------------


def _help(request, name: str) -> str:
    return request.build_absolute_uri("/api/3/action/help_show") + "?" + urlencode({"name": name})


def _params(request) -> dict:
    if request.method == "POST" and request.body:
        content_type = request.content_type or ""
        if "json" in content_type or request.body[:1] in (b"{", b"["):
            try:
                data = json.loads(request.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise _BadRequest(f"JSON Error: {exc}") from None
            if not isinstance(data, dict):
                raise _BadRequest("JSON Error: the request body must be a JSON object")
            return data
        return {k: (v[0] if len(v) == 1 else v) for k, v in request.POST.lists()}
    return {k: (v[0] if len(v) == 1 else v) for k, v in request.GET.lists()}


class _BadRequest(Exception):
    pass


@csrf_exempt
@public
def action(request, name: str):
    help_url = _help(request, name)
    handler = ACTIONS.get(name)
    if handler is None:
        return _error(help_url, 400, "Bad Request", f"Bad request - Action name not known: {name}")
    if request.method not in ("GET", "POST"):
        return _error(help_url, 400, "Bad Request", "Bad request - only GET and POST are supported")
    try:
        data = _params(request)
        data.pop("callback", None)
        user = common.request_user(request)
        common.rate_limit(request, user)
        result = handler(request, user, data)
    except _BadRequest as exc:
        return _error(help_url, 400, "Bad Request", f"Bad request - {exc}")
    except ZhengtongError as exc:
        status, kind = next(
            (pair for cls, pair in ERROR_TYPES.items() if isinstance(exc, cls)), (400, "Bad Request")
        )
        extra = {}
        if isinstance(exc, ValidationError):
            extra = dict(exc.fields)
        response = _error(help_url, status, kind, exc.message, **extra)
        for header, value in retry_after_header(exc).items():
            response[header] = value
        return response
    return JsonResponse(
        {"help": help_url, "success": True, "result": result},
        json_dumps_params={"ensure_ascii": False},
    )


def _error(help_url, status, kind, message, **fields):
    body = {"help": help_url, "success": False, "error": {"__type": kind, "message": message, **fields}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def help_show(request, user, data):
    """The documentation of an action (name)."""
    name = str(data.get("name") or "")
    if name not in ACTIONS:
        raise NotFound(f"Action not found: {name}")
    return (ACTIONS[name].__doc__ or "").strip()


# --- dictionaries --------------------------------------------------------------------------


def _org_name(department) -> str:
    return f"{department.org_unit.code}-{department.code}"


def organization_dict(department, *, package_count: int | None = None) -> dict:
    out = {
        "id": str(department.pk),
        "name": _org_name(department),
        "title": department.name,
        "display_name": department.name,
        "description": department.org_unit.name,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": None,
        "org_unit": department.org_unit.code,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def _domain_label(value: str) -> str:
    from zhengtong.catalog.models import DataResource

    return common.choice_label(DataResource, "domain", value)


def group_dict(domain: str, *, package_count: int | None = None) -> dict:
    label = _domain_label(domain)
    out = {
        "id": domain,
        "name": domain,
        "title": label,
        "display_name": label,
        "description": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def _download_url(request, resource) -> str:
    return request.build_absolute_uri(reverse("compat:datasette_export", args=[resource.name, "csv"]))


def resource_dict(request, resource) -> dict:
    version = resource.current_version
    return {
        "id": resource.name,
        "package_id": str(resource.pk),
        "name": resource.title,
        "description": resource.description,
        "url": _download_url(request, resource),
        "format": "CSV",
        "mimetype": "text/csv",
        "size": None,
        "hash": "",
        "created": common.iso(version.created_at if version else resource.created_at),
        "last_modified": common.iso(version.created_at) if version else None,
        "metadata_modified": common.iso(resource.modified_at),
        "position": 0,
        "url_type": "datastore",
        "resource_type": "datastore",
        "state": "active",
        "datastore_active": version is not None,
        "version": version.number if version else None,
        "row_count": version.row_count if version else 0,
        "source_format": (version.source_format if version else "") or "",
    }


def package_dict(request, resource) -> dict:
    from zhengtong.catalog.models import DataResource

    keywords = [k for k in (resource.keywords or []) if isinstance(k, str)]
    department = resource.department
    resources = [resource_dict(request, resource)] if resource.current_version_id else []
    licence = resource.licence or ""
    extras = {
        "openness": resource.openness,
        "grade": resource.grade,
        "update_frequency": resource.update_frequency,
        "domain": resource.domain,
        "title_en": resource.title_en,
        "spatial": resource.spatial,
        "temporal_start": common.iso(resource.temporal_start),
        "temporal_end": common.iso(resource.temporal_end),
        "published_at": common.iso(resource.published_at),
    }
    return {
        "id": str(resource.pk),
        "name": resource.name,
        "title": resource.title,
        "notes": resource.description,
        "url": request.build_absolute_uri(_dataset_page(resource)),
        "version": str(resource.current_version.number) if resource.current_version_id else None,
        "author": department.name if department else "",
        "author_email": "",
        "maintainer": resource.contact_name,
        "maintainer_email": resource.contact_email,
        "license_id": licence,
        "license_title": licence,
        "license_url": LICENCE_URLS.get(licence, ""),
        "isopen": resource.openness == "unconditional",
        "state": "active" if resource.state == "published" else resource.state,
        "type": "dataset",
        "private": resource.state != "published",
        "owner_org": str(department.pk) if department else None,
        "organization": organization_dict(department) if department else None,
        "groups": [group_dict(resource.domain)] if resource.domain else [],
        "tags": [
            {"id": k, "name": k, "display_name": k, "state": "active", "vocabulary_id": None}
            for k in keywords
        ],
        "extras": [{"key": k, "value": "" if v is None else str(v)} for k, v in extras.items()],
        "resources": resources,
        "num_resources": len(resources),
        "num_tags": len(keywords),
        "metadata_created": common.iso(resource.created_at),
        "metadata_modified": common.iso(resource.modified_at),
        "creator_user_id": None,
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "openness": resource.openness,
        "openness_display": common.choice_label(DataResource, "openness", resource.openness),
        "grade": resource.grade,
        "update_frequency": resource.update_frequency,
    }


LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}


def _dataset_page(resource) -> str:
    for name in ("catalog:dataset", "catalog:resource_detail", "catalog:detail", "catalog:resource"):
        try:
            return reverse(name, args=[resource.name])
        except Exception:  # noqa: S112 - try the next candidate name
            continue
    return reverse("compat:dcat_dataset", args=[resource.name, "jsonld"])


# --- package_search ------------------------------------------------------------------------


def parse_fq(text: str, *, param: str = "fq") -> dict[str, list[str]]:
    """``organization:x tags:"a b" +res_format:CSV groups:(a OR b)`` -> {filter: [values]}."""
    filters: dict[str, list[str]] = {}
    pos = 0
    text = (text or "").strip()
    while pos < len(text):
        connective = _CONNECTIVE.match(text, pos)
        if connective and connective.end() > pos:
            pos = connective.end()
            continue
        match = _FQ_TOKEN.match(text, pos)
        if not match:
            raise ValidationError.for_field(
                param, f'cannot parse “{text[pos:][:40]}”: use field:value or field:"value"'
            )
        _, field, quoted, group, bare = match.groups()
        target = FQ_FIELDS.get(field)
        if target is None:
            raise ValidationError.for_field(
                param, f"unknown field “{field}”; known: {', '.join(sorted(FQ_FIELDS))}"
            )
        if group is not None:
            values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+", group) if v.strip()]
        elif quoted is not None:
            values = [quoted.replace('\\"', '"')]
        else:
            values = [bare]
        for value in values:
            if field in ("organization", "owner_org"):
                value = _department_filter_value(value)
            filters.setdefault(target, []).append(value)
        pos = match.end()
    return filters


def _department_filter_value(value: str) -> str:
    """CKAN clients pass an organization name ("330106-scjg") or id; the catalog filters by id."""
    from zhengtong.accounts.models import Department

    if value.isdigit():
        return value
    unit, _, code = value.partition("-")
    department = Department.objects.filter(org_unit__code=unit, code=code).first()
    return str(department.pk) if department else "0"


def _split_q(q: str) -> tuple[str, dict[str, list[str]]]:
    q = (q or "").strip()
    if q in ("*:*", "*"):
        return "", {}
    filters: dict[str, list[str]] = {}
    words = []
    for token in re.findall(r'\S+:"[^"]*"|\S+', q):
        field = token.split(":", 1)[0]
        if ":" in token and field in FQ_FIELDS:
            for key, values in parse_fq(token, param="q").items():
                filters.setdefault(key, []).extend(values)
        elif field == "text" and ":" in token:
            words.append(token.split(":", 1)[1].strip('"'))
        else:
            words.append(token)
    return " ".join(words), filters


def _facet_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        names = value
    else:
        try:
            names = json.loads(value)
        except ValueError:
            names = [value] if re.fullmatch(r"[A-Za-z_]+", str(value)) else None
        if not isinstance(names, list):
            raise ValidationError.for_field(
                "facet.field", 'must be a JSON list, e.g. ["organization","tags"]'
            )
    for name in names:
        if name not in FACET_FIELDS:
            raise ValidationError.for_field(
                "facet.field", f"unknown facet “{name}”; known: {', '.join(FACET_FIELDS)}"
            )
    return names


def package_search(request, user, data):
    """Search datasets: q, fq, sort, rows (≤ 1000), start (any depth), facet.field, facet.limit."""
    from zhengtong.catalog import selectors

    text, filters = _split_q(str(data.get("q") or ""))
    for fq in _as_list(data.get("fq")) + _as_list(data.get("fq_list")):
        for key, values in parse_fq(str(fq)).items():
            filters.setdefault(key, []).extend(values)
    rows = as_int("rows", data.get("rows"), 10, minimum=0, maximum=common.PACKAGE_ROWS_MAX)
    start = as_int("start", data.get("start"), 0, minimum=0)
    sort_text = re.sub(r"\s+", " ", str(data.get("sort") or "score desc, metadata_modified desc").strip())
    sort = SORTS.get(sort_text.lower())
    if sort is None:
        raise ValidationError.for_field(
            "sort", f"unsupported sort “{sort_text}”; use one of: {', '.join(SORTS)}"
        )
    facets = _facet_list(data.get("facet.field"))
    facet_limit = as_int("facet.limit", data.get("facet.limit"), 50, minimum=-1, maximum=1000)
    want_facets = as_bool("facet", data.get("facet"), True)
    if not as_bool("include_drafts", data.get("include_drafts"), False) and not as_bool(
        "include_private", data.get("include_private"), False
    ):
        filters["state"] = ["published"]
    catalog_facets = tuple(FACET_FIELDS[f] for f in facets if f != "tags") if want_facets else ()
    result = selectors.resource_search(
        user=user,
        q=text,
        filters=filters,
        sort=sort,
        offset=start,
        limit=max(rows, 1),
        facet_fields=catalog_facets,
    )
    items = list(result.items)[:rows] if rows else []
    search_facets = {}
    legacy = {}
    for name in facets if want_facets else ():
        if name == "tags":
            entries = _tag_facet(user, text, filters)
        else:
            entries = result.facets.get(FACET_FIELDS[name], [])
        if facet_limit >= 0:
            entries = entries[:facet_limit]
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": _facet_value(name, value), "display_name": str(label), "count": count}
                for value, label, count in entries
            ],
        }
        legacy[name] = {_facet_value(name, value): count for value, _label, count in entries}
    return {
        "count": result.total,
        "sort": sort_text,
        "facets": legacy,
        "search_facets": search_facets,
        "results": [package_dict(request, r) for r in items],
    }


def _tag_facet(user, text: str, filters: dict) -> list[tuple[str, str, int]]:
    """Keyword counts over the matching datasets (the catalogue has no keyword facet)."""
    from collections import Counter

    from zhengtong.catalog import selectors

    qs = selectors.visible_resources(user)
    if text:
        qs = qs.filter(selectors._search_q(text))
    qs = selectors._apply_filters(qs, filters)
    counts: Counter = Counter()
    for keywords in qs.values_list("keywords", flat=True):
        counts.update({k for k in keywords or [] if isinstance(k, str)})
    return [(k, k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _facet_value(name: str, value) -> str:
    if name == "organization":
        from zhengtong.accounts.models import Department

        department = (
            Department.objects.select_related("org_unit").filter(pk=value).first()
            if str(value).isdigit()
            else None
        )
        return _org_name(department) if department else str(value)
    return str(value)


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
            if isinstance(parsed, list):
                return parsed
        except ValueError:
            pass
    return [value]


# --- the other catalogue actions ------------------------------------------------------------


def _published():
    from zhengtong.catalog.models import DataResource

    return DataResource.objects.filter(state="published")


def package_list(request, user, data):
    """Names of the published datasets (limit, offset)."""
    limit = as_int(
        "limit", data.get("limit"), common.PACKAGE_ROWS_MAX, minimum=1, maximum=common.PACKAGE_ROWS_MAX * 10
    )
    offset = as_int("offset", data.get("offset"), 0)
    return list(_published().order_by("name").values_list("name", flat=True)[offset : offset + limit])


def package_show(request, user, data):
    """One dataset by id or name."""
    resource = common.resource_get(user, data.get("id") or data.get("name_or_id") or "")
    common.count_call(resource)
    return package_dict(request, resource)


def resource_show(request, user, data):
    """One datastore resource by id (= the dataset name)."""
    resource = common.resource_get(user, data.get("id") or "")
    if not resource.current_version_id:
        raise NotFound(f"resource {resource.name} has no data")
    return resource_dict(request, resource)


def _department_counts() -> dict[int, int]:
    from django.db.models import Count

    rows = _published().values("department").annotate(n=Count("id"))
    return {row["department"]: row["n"] for row in rows}


def organization_list(request, user, data):
    """Departments (all_fields, sort "name asc" | "package_count desc", limit, offset)."""
    from zhengtong.accounts.models import Department

    all_fields = as_bool("all_fields", data.get("all_fields"), False)
    limit = as_int("limit", data.get("limit"), 1000, minimum=1, maximum=1000)
    offset = as_int("offset", data.get("offset"), 0)
    sort = str(data.get("sort") or "name asc").strip().lower()
    if sort not in ("name asc", "name", "package_count desc", "title asc"):
        raise ValidationError.for_field("sort", "use “name asc” or “package_count desc”")
    counts = _department_counts()
    departments = list(Department.objects.select_related("org_unit").all())
    if sort == "package_count desc":
        departments.sort(key=lambda d: (-counts.get(d.pk, 0), _org_name(d)))
    else:
        departments.sort(key=_org_name)
    departments = departments[offset : offset + limit]
    if not all_fields:
        return [_org_name(d) for d in departments]
    return [organization_dict(d, package_count=counts.get(d.pk, 0)) for d in departments]


def organization_show(request, user, data):
    """One department by id or name; include_datasets adds its published datasets."""
    from zhengtong.accounts.models import Department

    ident = str(data.get("id") or "")
    if not ident:
        raise ValidationError.for_field("id", "is required")
    qs = Department.objects.select_related("org_unit")
    if ident.isdigit():
        department = qs.filter(pk=int(ident)).first()
    else:
        unit, _, code = ident.partition("-")
        department = qs.filter(org_unit__code=unit, code=code).first()
    if department is None:
        raise NotFound(f"organization not found: {ident}")
    datasets = _published().filter(department=department)
    out = organization_dict(department, package_count=datasets.count())
    if as_bool("include_datasets", data.get("include_datasets"), False):
        out["packages"] = [package_dict(request, r) for r in datasets.order_by("name")[:1000]]
    return out


def group_list(request, user, data):
    """Domains (all_fields)."""
    from django.db.models import Count

    from zhengtong.catalog.models import DataResource

    counts = {row["domain"]: row["n"] for row in _published().values("domain").annotate(n=Count("id"))}
    domains = [code for code, _label in common.choices(DataResource, "domain")] or sorted(counts)
    if as_bool("all_fields", data.get("all_fields"), False):
        return [group_dict(d, package_count=counts.get(d, 0)) for d in domains]
    return domains


def group_show(request, user, data):
    """One domain by name."""
    from zhengtong.catalog.models import DataResource

    ident = str(data.get("id") or "")
    known = [code for code, _label in common.choices(DataResource, "domain")]
    if ident not in known and not _published().filter(domain=ident).exists():
        raise NotFound(f"group not found: {ident}")
    return group_dict(ident, package_count=_published().filter(domain=ident).count())


def tag_list(request, user, data):
    """Keywords of published datasets (query: substring)."""
    query = str(data.get("query") or "").strip()
    tags: set[str] = set()
    for keywords in _published().values_list("keywords", flat=True):
        tags.update(k for k in keywords or [] if isinstance(k, str))
    names = sorted(t for t in tags if query in t)
    if as_bool("all_fields", data.get("all_fields"), False):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in names]
    return names


def status_show(request, user, data):
    """Site information."""
    return {
        "site_title": "Zhengtong 政通",
        "site_url": request.build_absolute_uri("/"),
        "ckan_version": "2.11.0",
        "site_description": "Zhengtong open data (CKAN-compatible read API)",
        "locale_default": "zh_Hans",
        "extensions": ["datastore", "dcat"],
    }


# --- datastore_search ----------------------------------------------------------------------

_OPS = {"eq": "eq", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "ne": "ne"}
_SORT_ITEM = re.compile(r'^\s*"?([^",]+?)"?(?:\s+(asc|desc))?\s*$', re.IGNORECASE)


def _json_param(name: str, value):
    if value is None or value == "":
        return None
    if isinstance(value, dict | list):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ValidationError.for_field(name, "must be valid JSON") from None


def _check_field(table, name: str, param: str) -> dict:
    field = table.field(str(name))
    if field is None:
        raise ValidationError.for_field(param, f"unknown field “{name}”")
    return field


def _filters(table, raw) -> list[tuple[str, str, object]]:
    value = _json_param("filters", raw)
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ValidationError.for_field("filters", 'must be a JSON object like {"field": "value"}')
    out = []
    for name, condition in value.items():
        field = _check_field(table, name, "filters")
        if isinstance(condition, list):
            out.append(
                (field["name"], "in", [common.cast_value(field, v, param="filters") for v in condition])
            )
        elif isinstance(condition, dict):
            for op, operand in condition.items():
                if op not in _OPS:
                    raise ValidationError.for_field("filters", f"unknown operator “{op}” for {name}")
                out.append((field["name"], _OPS[op], common.cast_value(field, operand, param="filters")))
        elif condition is None:
            out.append((field["name"], "isnull", True))
        else:
            out.append((field["name"], "eq", common.cast_value(field, condition, param="filters")))
    return out


def _sort(table, raw) -> list[tuple[str, str]]:
    if raw in (None, ""):
        return []
    items = raw if isinstance(raw, list) else str(raw).split(",")
    out = []
    for item in items:
        match = _SORT_ITEM.match(str(item))
        if not match:
            raise ValidationError.for_field("sort", f"cannot parse “{item}”: use “field” or “field desc”")
        field = _check_field(table, match.group(1).strip(), "sort")
        out.append((field["name"], (match.group(2) or "asc").lower()))
    return out


def _fields(table, raw) -> list[str] | None:
    if raw in (None, ""):
        return None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [
        _check_field(table, str(item).strip().strip('"'), "fields")["name"]
        for item in items
        if str(item).strip()
    ]


def _datastore_type(field: dict) -> str:
    return {
        "integer": "int",
        "number": "numeric",
        "boolean": "bool",
        "date": "date",
        "datetime": "timestamp",
        "time": "time",
        "year": "int",
    }.get(field.get("type", "string"), "text")


def datastore_search(request, user, data):
    """Rows of a dataset's current version: resource_id, filters, q, fields, sort, limit (≤ 32000),
    offset, include_total, records_format (objects|lists|csv|tsv), next_page (keyset token)."""
    resource = common.resource_get(user, data.get("resource_id") or data.get("id") or "")
    table = common.table_for(user, resource)
    filters = _filters(table, data.get("filters"))
    q = data.get("q")
    q_text = None
    if isinstance(q, str) and q.startswith("{"):
        q = _json_param("q", q)
    if isinstance(q, dict):
        for name, value in q.items():
            field = _check_field(table, name, "q")
            filters.append((field["name"], "contains", str(value)))
    elif q not in (None, ""):
        q_text = str(q)
    sort = _sort(table, data.get("sort"))
    fields = _fields(table, data.get("fields"))
    limit = as_int("limit", data.get("limit"), 100, minimum=0, maximum=common.datastore_limit_max())
    offset = as_int("offset", data.get("offset"), 0)
    include_total = as_bool("include_total", data.get("include_total"), True)
    records_format = str(data.get("records_format") or "objects")
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise ValidationError.for_field("records_format", "must be objects, lists, csv or tsv")
    token = data.get("next_page")
    if token is not None and not isinstance(token, str):
        raise ValidationError.for_field("next_page", "must be the token a previous page returned")
    result = common.query(
        table,
        cursor_param="next_page",
        filters=filters,
        sort=sort,
        fields=fields,
        limit=max(limit, 1),
        after=token or None,
        offset=None if token else (offset or None),
        q=q_text,
        count="estimate" if include_total else "none",
    )
    common.count_call(resource)
    names = fields or table.field_names
    rows = result.rows[:limit] if limit else []
    field_meta = [
        {"id": n, "type": _datastore_type(table.field(n)), "info": _info(table.field(n))} for n in names
    ]
    if records_format == "objects":
        records = [{n: common.jsonable(row.get(n)) for n in names} for row in rows]
    elif records_format == "lists":
        records = [[common.jsonable(row.get(n)) for n in names] for row in rows]
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t", lineterminator="\n")
        from zhengtong.datastore.engine import neutralize  # spreadsheet formula injection

        for row in rows:
            writer.writerow(
                ["" if row.get(n) is None else neutralize(common.jsonable(row.get(n))) for n in names]
            )
        records = buffer.getvalue()
    out = {
        "resource_id": resource.name,
        "fields": field_meta,
        "records": records,
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "filters": _json_param("filters", data.get("filters")) or {},
        "sort": ", ".join(f"{f} {d}" for f, d in sort),
        "total_was_estimated": bool(result.total_is_estimate),
        "_links": {"start": _link(request, data, drop=("offset", "next_page"))},
    }
    if q not in (None, ""):
        out["q"] = q
    if include_total:
        out["total"] = result.total
    more = bool(result.next_cursor) or (
        result.total is not None and not result.total_is_estimate and offset + len(rows) < result.total
    )
    if limit and more and len(rows) == limit:
        # Keyset: the cursor the engine returned (deep pages stay fast); offset links too while shallow.
        if result.next_cursor:
            out["next_page"] = result.next_cursor
        if result.next_cursor and (token or offset + limit > 10_000):
            out["_links"]["next"] = _link(
                request, data, drop=("offset",), add={"next_page": result.next_cursor}
            )
        else:
            out["_links"]["next"] = _link(request, data, drop=("next_page",), add={"offset": offset + limit})
    return out


def _info(field: dict) -> dict:
    info = {"label": field.get("title") or field["name"], "notes": field.get("description", "")}
    for key in ("unit", "grade"):
        if field.get(key):
            info[key] = str(field[key])
    classification = field.get("classification")
    if isinstance(classification, dict):
        classification = classification.get("category")
    if classification:
        info["classification"] = str(classification)
    return info


def _link(request, data, *, drop=(), add=None) -> str:
    params = {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
        for k, v in data.items()
        if k not in drop
    }
    params.update(add or {})
    return "/api/3/action/datastore_search?" + urlencode(params, doseq=True)


ACTIONS = {
    "package_list": package_list,
    "package_search": package_search,
    "package_show": package_show,
    "resource_show": resource_show,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "status_show": status_show,
    "help_show": help_show,
    "datastore_search": datastore_search,
}
