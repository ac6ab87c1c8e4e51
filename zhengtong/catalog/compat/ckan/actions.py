"""The other catalogue actions: package_list/show, resource_show, organization_list/show,
group_list/show, tag_list, status_show."""

from __future__ import annotations

from django.db.models import Count, Min, Q

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog import selectors
from zhengtong.catalog.compat import common
from zhengtong.catalog.compat.ckan.dicts import (
    _org_name,
    group_dict,
    organization_dict,
    package_dict,
    resource_dict,
)
from zhengtong.catalog.compat.common import as_bool, as_int
from zhengtong.catalog.models import DataResource
from zhengtong.core.errors import NotFound, ValidationError


def _published():
    return selectors.published_resources()


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


def _department_created() -> dict[int, str | None]:
    """An organisation's ``created``: when its first dataset entered the catalogue (departments
    carry no creation time of their own)."""
    rows = DataResource.objects.values("department").annotate(first=Min("created_at"))
    return {row["department"]: common.iso(row["first"]) for row in rows}


def _department_counts() -> dict[int, int]:
    rows = _published().values("department").annotate(n=Count("id"))
    return {row["department"]: row["n"] for row in rows}


def organization_list(request, user, data):
    """Departments (all_fields, sort "name asc" | "package_count desc", limit, offset)."""
    all_fields = as_bool("all_fields", data.get("all_fields"), False)
    limit = as_int("limit", data.get("limit"), 1000, minimum=1, maximum=1000)
    offset = as_int("offset", data.get("offset"), 0)
    sort = str(data.get("sort") or "name asc").strip().lower()
    if sort not in ("name asc", "name", "package_count desc", "title asc"):
        raise ValidationError.for_field("sort", "use “name asc” or “package_count desc”")
    counts = _department_counts()
    departments = account_selectors.departments_all()
    if sort == "package_count desc":
        departments.sort(key=lambda d: (-counts.get(d.pk, 0), _org_name(d)))
    else:
        departments.sort(key=_org_name)
    departments = departments[offset : offset + limit]
    if not all_fields:
        return [_org_name(d) for d in departments]
    created = _department_created()
    return [
        organization_dict(d, package_count=counts.get(d.pk, 0), created=created.get(d.pk))
        for d in departments
    ]


def organization_show(request, user, data):
    """One department by id or name; include_datasets adds its published datasets."""
    ident = str(data.get("id") or "")
    if not ident:
        raise ValidationError.for_field("id", "is required")
    if ident.isdigit():
        department = account_selectors.department_by_id(ident)
    else:
        unit, _, code = ident.partition("-")
        department = account_selectors.department_by_code(unit, code)
    if department is None:
        raise NotFound(f"organization not found: {ident}")
    datasets = _published().filter(department=department)
    out = organization_dict(
        department, package_count=datasets.count(), created=_department_created().get(department.pk)
    )
    if as_bool("include_datasets", data.get("include_datasets"), False):
        out["packages"] = [package_dict(request, r) for r in datasets.order_by("name")[:1000]]
    return out


def group_list(request, user, data):
    """Domains (all_fields)."""
    counts = {row["domain"]: row["n"] for row in _published().values("domain").annotate(n=Count("id"))}
    domains = [code for code, _label in common.choices(DataResource, "domain")] or sorted(counts)
    if as_bool("all_fields", data.get("all_fields"), False):
        return [group_dict(d, package_count=counts.get(d, 0)) for d in domains]
    return domains


def group_show(request, user, data):
    """One domain by name."""
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


def current_package_list_with_resources(request, user, data):
    """Published datasets with their resources, most recently modified first (limit, offset,
    page)."""
    limit = min(as_int("limit", data.get("limit"), 100, minimum=1), common.PACKAGE_ROWS_MAX)
    offset = as_int("offset", data.get("offset"), 0)
    page = as_int("page", data.get("page"), 0, minimum=0)
    if page:
        offset = (page - 1) * limit
    resources = (
        _published()
        .select_related("department__org_unit", "current_version")
        .order_by("-modified_at", "-id")[offset : offset + limit]
    )
    return [package_dict(request, r) for r in resources]


def package_autocomplete(request, user, data):
    """Datasets whose name or title contain q (limit ≤ 100), as CKAN's dataset-name autocomplete
    answers: name, title, match_field, match_displayed."""
    query = str(data.get("q") or "").strip()
    if not query:
        raise ValidationError.for_field("q", "is required")
    limit = min(as_int("limit", data.get("limit"), 10, minimum=1), 100)
    lowered = query.lower()
    out = []
    for resource in (
        _published().filter(Q(name__icontains=query) | Q(title__icontains=query)).order_by("name")[:limit]
    ):
        field = "name" if lowered in resource.name.lower() else "title"
        value = resource.name if field == "name" else resource.title
        out.append(
            {
                "name": resource.name,
                "title": resource.title,
                "match_field": field,
                "match_displayed": value if field == "title" else f"{value} ({resource.title})",
            }
        )
    return out
