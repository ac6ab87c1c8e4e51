"""Reads of the catalogue, already scoped to what the user may see.

Visibility: the public sees published resources whose openness is not "closed" (a "conditional"
resource shows its metadata and schema; its rows need an approved application). Staff holding
catalog.view (or catalog.edit / catalog.review) see every resource of their scope, drafts too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import can, can_on, scope_q
from zhengtong.catalog.models import (
    DataApplication,
    DataResource,
    DataService,
    Domain,
    HarvestRun,
    HarvestSource,
    LoadJob,
    Openness,
    ResourceAttachment,
    ResourceVersion,
    UpdateFrequency,
    UsageDaily,
)
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.privacy.grades import GRADES

if TYPE_CHECKING:
    from zhengtong.accounts.models import Credential, Department

FACET_FIELDS = ("domain", "department", "openness", "format", "grade", "update_frequency")
SORTS = ("relevance", "modified", "title", "views")
# Further orders for harvesting clients (CKAN's "id asc", "metadata_modified asc", "name asc"):
# accepted by resource_search, not offered on the portal.
CLIENT_SORTS = {"id": ["id"], "modified_asc": ["modified_at", "id"], "name": ["name", "id"]}
_CURSOR_SALT = "zhengtong.catalog.search"
_STAFF_PERMS = ("catalog.view", "catalog.edit", "catalog.review")
# What ``further.resource_list`` reads of each resource, prefetched for lists (CKAN package_search).
FURTHER_PREFETCH = (
    Prefetch("attachments", queryset=ResourceAttachment.objects.select_related("dataservice")),
    "dataservices",
)


@dataclass
class SearchResult:
    items: list[DataResource]
    total: int
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    next_cursor: str | None = None


def _staff_scope(user) -> Q | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    condition = None
    for perm in _STAFF_PERMS:
        if can(user, perm):
            q = scope_q(user, perm, department_field="department")
            condition = q if condition is None else condition | q
    return condition


def visible_resources(user) -> QuerySet[DataResource]:
    """Every resource ``user`` may see in the catalogue (not necessarily its rows)."""
    public = Q(state="published") & ~Q(openness=Openness.CLOSED)
    staff = _staff_scope(user)
    condition = public if staff is None else public | staff
    return DataResource.objects.filter(condition)


def search_q(q: str) -> Q:
    """Unsegmented Chinese search: every whitespace-separated term must occur as a substring."""
    condition = Q()
    for term in q.lower().split()[:8]:
        condition &= Q(search_text__contains=term)
    return condition


def apply_filters(qs: QuerySet, filters: dict[str, list[str]]) -> QuerySet:
    for name, values in (filters or {}).items():
        values = [str(v) for v in (values if isinstance(values, list | tuple) else [values]) if str(v) != ""]
        if not values:
            continue
        if name == "department":
            ids = [int(v) for v in values if v.isdecimal()]
            codes = [v for v in values if not v.isdecimal()]
            qs = qs.filter(Q(department_id__in=ids) | Q(department__code__in=codes))
        elif name == "format":
            qs = qs.filter(current_version__source_format__in=values)
        elif name in ("domain", "openness", "grade", "update_frequency", "state"):
            qs = qs.filter(**{f"{name}__in": values})
        elif name == "org_unit":
            qs = qs.filter(org_unit__code__in=values)
        elif name == "name":
            qs = qs.filter(name__in=values)
        elif name == "id":
            qs = qs.filter(pk__in=[int(v) for v in values if v.isdecimal()])
        elif name in ("modified_from", "modified_to", "created_from", "created_to"):
            column = "modified_at" if name.startswith("modified") else "created_at"
            lookup = "gte" if name.endswith("_from") else "lte"
            for value in values:
                try:
                    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    raise ValidationError.for_field(name, _("must be an ISO 8601 date and time")) from None
                if timezone.is_naive(moment):
                    moment = timezone.make_aware(moment, dt.UTC)
                qs = qs.filter(**{f"{column}__{lookup}": moment})
        elif name == "keyword":
            cond = Q()
            for v in values:
                cond |= Q(search_text__contains=v.lower())
            qs = qs.filter(cond)
        else:
            raise ValidationError.for_field(name, _("is not a filter of the catalogue"))
    return qs


def _labels(name: str) -> dict[str, str]:
    if name == "domain":
        return {str(k): str(v) for k, v in Domain.choices}
    if name == "openness":
        return {str(k): str(v) for k, v in Openness.choices}
    if name == "update_frequency":
        return {str(k): str(v) for k, v in UpdateFrequency.choices}
    if name == "grade":
        return {g: g for g in GRADES}
    return {}


def check_codes(filters: dict[str, list[str]]) -> None:
    """A value of a coded filter (domain, openness, grade, update frequency) outside its code list
    is an error naming the filter (the catalogue API; CKAN's fq keeps returning nothing instead)."""
    for name, values in filters.items():
        known = _labels(name)
        bad = [str(v) for v in values if known and str(v) not in known]
        if bad:
            raise ValidationError.for_field(name, _("unknown code “%s”") % bad[0][:50])


def _facets(qs: QuerySet, names: tuple[str, ...]) -> dict[str, list[tuple[str, str, int]]]:
    facets: dict[str, list[tuple[str, str, int]]] = {}
    for name in names:
        if name not in FACET_FIELDS:
            raise ValidationError.for_field("facet", _("unknown facet “%s”") % name)
        column = {"department": "department_id", "format": "current_version__source_format"}.get(name, name)
        rows = list(qs.order_by().values(column).annotate(n=Count("id")).order_by("-n", column))
        if name == "department":
            names_by_id = account_selectors.department_names([r[column] for r in rows])
            facets[name] = [(str(r[column]), names_by_id.get(r[column], ""), r["n"]) for r in rows]
        else:
            labels = _labels(name)
            facets[name] = [
                (str(r[column]), labels.get(str(r[column]), str(r[column]).upper()), r["n"])
                for r in rows
                if r[column] not in (None, "")
            ]
    return facets


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return dt.datetime.fromisoformat(value["dt"])
    return value


def resource_search(
    *,
    user,
    q: str = "",
    filters: dict[str, list[str]] | None = None,
    sort: str = "relevance",
    cursor: str | None = None,
    offset: int | None = None,
    limit: int = 20,
    facet_fields: tuple[str, ...] = FACET_FIELDS,
    exclude: dict[str, list[str]] | None = None,
) -> SearchResult:
    """Search the catalogue: substring search (no word segmentation), facets, sorting, and keyset
    pagination (``cursor``; ``offset`` is accepted for CKAN-style clients). ``exclude`` leaves out
    what each of its filters matches (CKAN's negated ``-field:value`` terms)."""
    if sort not in SORTS and sort not in CLIENT_SORTS:
        raise ValidationError.for_field("sort", _("must be one of %s") % ", ".join(SORTS))
    if limit < 1 or limit > 1000:
        raise ValidationError.for_field("limit", _("must be between 1 and %d") % 1000)
    qs = visible_resources(user)
    q = (q or "").strip()
    if q and q != "*:*":
        qs = qs.filter(search_q(q))
    qs = apply_filters(qs, filters or {})
    for name, values in (exclude or {}).items():
        qs = qs.exclude(pk__in=apply_filters(DataResource.objects.all(), {name: values}).values("pk"))
    total = qs.count()
    facets = _facets(qs, tuple(facet_fields)) if facet_fields else {}

    if sort == "views":
        since = timezone.localdate() - dt.timedelta(days=30)
        qs = qs.annotate(
            views_30d=Sum("usage__views", filter=Q(usage__day__gte=since), default=0),
        )
        order = ["-views_30d", "-id"]
    elif sort == "title":
        order = ["title", "id"]
    elif sort in CLIENT_SORTS:
        order = CLIENT_SORTS[sort]
    else:
        # "relevance" without a ranking engine: the most recently modified first (CKAN's tie-breaker).
        order = ["-modified_at", "-id"]

    qs = (
        qs.select_related("department", "org_unit", "current_version", "harvest_source")
        .prefetch_related(*FURTHER_PREFETCH)
        .order_by(*order)
    )
    if cursor:
        try:
            payload = signing.loads(cursor, salt=_CURSOR_SALT)
            if payload["o"] != order:
                raise ValueError
            values = [_decode(v) for v in payload["v"]]
        except (signing.BadSignature, ValueError, KeyError, TypeError):
            raise ValidationError.for_field("cursor", _("is not a cursor this list issued")) from None
        after = Q(pk__in=[])
        for i, spec in enumerate(order):
            name = spec.lstrip("-")
            clause = Q(**{f"{name}__{'lt' if spec.startswith('-') else 'gt'}": values[i]})
            for j in range(i):
                clause &= Q(**{order[j].lstrip("-"): values[j]})
            after |= clause
        qs = qs.filter(after)
    elif offset:
        if offset < 0:
            raise ValidationError.for_field("offset", _("must not be negative"))
        qs = qs[offset:]
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = [_encode(getattr(last, spec.lstrip("-"))) for spec in order]
        next_cursor = signing.dumps({"o": order, "v": values}, salt=_CURSOR_SALT, compress=True)
    return SearchResult(items=rows, total=total, facets=facets, next_cursor=next_cursor)


def resource_get(*, user, name_or_id) -> DataResource:
    """One resource by name (or numeric id) that ``user`` may see; NotFound otherwise."""
    key = str(name_or_id).strip()
    qs = visible_resources(user).select_related("department", "org_unit", "current_version", "harvest_source")
    found = qs.filter(name=key).first()
    if found is None and key.isdecimal():
        found = qs.filter(pk=int(key)).first()
    if found is None:
        raise NotFound(_("no data resource “%s”") % key)
    return found


def may_see_staff(user, resource: DataResource) -> bool:
    return any(can_on(user, p, resource) for p in _STAFF_PERMS)


def served_variant(*, user, resource: DataResource) -> str:
    """ "raw" only for holders of catalog.view_raw in the resource's scope; "public" otherwise."""
    return "raw" if can_on(user, "catalog.view_raw", resource) else "public"


def approved_application(*, user, resource: DataResource) -> DataApplication | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    today = timezone.localdate()
    return (
        DataApplication.objects.filter(resource=resource, applicant=user, state="approved")
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-id")
        .first()
    )


def rows_access(*, user, resource: DataResource) -> tuple[bool, list[str] | None]:
    """Whether ``user`` may read the rows of ``resource`` and, if limited, which fields.

    Unconditionally open and published: everyone. Conditional: staff of its scope, or a user
    with an approved application (its requested fields only). Closed or unpublished: staff only.
    """
    if may_see_staff(user, resource):
        return True, None
    if resource.state != "published" or resource.current_version_id is None:
        return False, None
    if resource.openness == Openness.UNCONDITIONAL:
        return True, None
    if resource.openness == Openness.CONDITIONAL:
        application = approved_application(user=user, resource=resource)
        if application is not None:
            return True, list(application.fields) or None
    return False, None


def resource_versions(*, resource: DataResource) -> list[ResourceVersion]:
    return list(resource.versions.select_related("created_by").order_by("-number"))


def resource_loads(*, resource: DataResource, limit: int = 20) -> list[LoadJob]:
    return list(resource.loads.select_related("created_by").order_by("-created_at", "-id")[:limit])


def usage_totals(*, resource: DataResource, days: int | None = None) -> dict[str, int]:
    qs = UsageDaily.objects.filter(resource=resource)
    if days:
        qs = qs.filter(day__gte=timezone.localdate() - dt.timedelta(days=days))
    totals = qs.aggregate(views=Sum("views"), downloads=Sum("downloads"), api_calls=Sum("api_calls"))
    return {k: int(v or 0) for k, v in totals.items()}


def my_resources(*, user) -> QuerySet[DataResource]:
    """Resources of the user's editing scope (the publisher's console list)."""
    staff = _staff_scope(user)
    if staff is None:
        return DataResource.objects.none()
    return (
        DataResource.objects.filter(staff)
        .select_related("department", "org_unit", "current_version")
        .order_by("-modified_at", "-id")
    )


def review_queue(*, user) -> QuerySet[DataResource]:
    if not can(user, "catalog.review"):
        return DataResource.objects.none()
    return (
        DataResource.objects.filter(scope_q(user, "catalog.review", department_field="department"))
        .filter(state="under_review")
        .select_related("department", "org_unit", "current_version")
        .order_by("modified_at", "id")
    )


def applications_to_decide(*, user) -> QuerySet[DataApplication]:
    if not can(user, "catalog.decide_applications"):
        return DataApplication.objects.none()
    return (
        DataApplication.objects.filter(
            scope_q(user, "catalog.decide_applications", department_field="department")
        )
        .select_related("resource", "applicant")
        .order_by("-created_at", "-id")
    )


def applications_of(*, user) -> QuerySet[DataApplication]:
    return DataApplication.objects.filter(applicant=user).select_related("resource").order_by("-id")


def keys_of(*, user) -> list[Credential]:
    """A data user's API keys (accounts credentials of kind data_api_key), newest first."""
    return list(account_selectors.credentials_of(owner=user, kind=CredentialKind.DATA_API_KEY))


def key_get(key_id: int) -> Credential | None:
    """The data API key with this id, or None."""
    return account_selectors.credential_by_id(key_id, kind=CredentialKind.DATA_API_KEY)


def department_resources(*, user, department: Department) -> list[DataResource]:
    return list(
        visible_resources(user)
        .filter(department=department)
        .select_related("department", "current_version")
        .order_by("title", "id")
    )


def version_get(*, resource: DataResource, number: int) -> ResourceVersion | None:
    """Version ``number`` of ``resource``, or None."""
    return ResourceVersion.objects.filter(resource=resource, number=number).first()


def load_get(job_id: int) -> LoadJob | None:
    """The load job with this id (with its resource and version), or None."""
    return LoadJob.objects.select_related("resource", "version").filter(pk=job_id).first()


def application_get(application_id: int) -> DataApplication | None:
    """The data application with this id (with its resource), or None."""
    return DataApplication.objects.select_related("resource").filter(pk=application_id).first()


def pending_application(*, user, resource: DataResource) -> DataApplication | None:
    """The user's application for ``resource`` that waits for a decision, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return DataApplication.objects.filter(resource=resource, applicant=user, state="submitted").first()


def usage_by_resource(ids: list[int]) -> dict[int, tuple[int, int]]:
    """(views, downloads) of all time for each of these resources, by id."""
    rows = (
        UsageDaily.objects.filter(resource_id__in=ids)
        .values("resource_id")
        .annotate(v=Sum("views"), d=Sum("downloads"))
    )
    return {row["resource_id"]: (row["v"], row["d"]) for row in rows}


def departments_to_edit(*, user) -> list[Department]:
    """The departments for which ``user`` may catalogue resources (catalog.edit)."""
    return account_selectors.departments_for(user, "catalog.edit")


def department_get(pk: int) -> Department:
    """A department for its catalogue page; NotFound otherwise."""
    department = account_selectors.department_by_id(pk)
    if department is None:
        raise NotFound(_("no such department"))
    return department


def published_resources() -> QuerySet[DataResource]:
    """Every published resource, whatever its openness (the CKAN layer's lists and counts)."""
    return DataResource.objects.filter(state="published")


def harvest_sources(*, user) -> QuerySet[HarvestSource]:
    """The harvest sources of the user's scope (catalog.manage_harvest)."""
    return HarvestSource.objects.filter(scope_q(user, "catalog.manage_harvest")).select_related("department")


def harvest_runs(*, source: HarvestSource, limit: int = 10) -> list[HarvestRun]:
    return list(source.runs.order_by("-started_at", "-id")[:limit])


def catalogue_dump_rows() -> list[list]:
    """One row per published dataset for the catalogue-wide CSV dump (metadata only)."""
    rows = []
    qs = (
        published_resources()
        .select_related("department", "current_version", "harvest_source")
        .order_by("name")
    )
    for r in qs.iterator(chunk_size=500):
        version = r.current_version
        rows.append(
            [
                r.name,
                r.title,
                r.title_en,
                r.description,
                r.department.name,
                r.domain,
                "、".join(k for k in r.keywords or [] if isinstance(k, str)),
                r.update_frequency,
                r.licence,
                r.openness,
                r.grade,
                r.spatial,
                r.temporal_start.isoformat() if r.temporal_start else "",
                r.temporal_end.isoformat() if r.temporal_end else "",
                version.number if version else "",
                version.row_count if version else "",
                version.created_at.isoformat() if version else "",
                r.published_at.isoformat() if r.published_at else "",
                r.harvest_source.name if r.harvest_source_id else "",
                r.origin_url,
            ]
        )
    return rows


DUMP_HEADER = [
    "name",
    "title",
    "title_en",
    "description",
    "department",
    "domain",
    "keywords",
    "update_frequency",
    "licence",
    "openness",
    "grade",
    "spatial",
    "temporal_start",
    "temporal_end",
    "version",
    "rows",
    "version_created_at",
    "published_at",
    "harvest_source",
    "origin_url",
]


def dataservices() -> QuerySet[DataService]:
    """The catalogue of APIs (public), with their departments and datasets."""
    return DataService.objects.select_related("department").prefetch_related("datasets")


def dataservice_get(name: str) -> DataService:
    found = dataservices().filter(name=str(name)).first()
    if found is None:
        raise NotFound(_("no such API"))
    return found


def departments_for_harvest(*, user) -> list[Department]:
    """The departments harvested records may be filed under (catalog.manage_harvest)."""
    return account_selectors.departments_for(user, "catalog.manage_harvest")


def published_dates() -> dict[str, dt.datetime | None]:
    """When the first resource was published and when a published one last changed (the
    catalogue's dct:issued and dct:modified)."""
    found = DataResource.objects.filter(state="published").aggregate(
        issued=Min("published_at"), modified=Max("modified_at")
    )
    return {"issued": found["issued"], "modified": found["modified"] or found["issued"]}
