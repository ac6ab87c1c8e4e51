"""Catalogue API at /api/v1/catalog: search with facets and keyset pagination, resource detail,
versions, schema, loads and lifecycle steps, field grades, data applications and API keys; a
dataset's further resources and field titles are in ``api_further``.

Reading the catalogue is public (rate-limited per key or IP); every write needs a logged-in user
and is checked in the service functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can
from zhengtong.catalog import api_further, selectors, services
from zhengtong.catalog.api_further import caller as _user
from zhengtong.catalog.models import DataApplication, DataResource, LoadJob
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.schemas import ERRORS

router = Router(tags=["catalog"])
api_further.register(router)

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {
    "catalog_resources",
    "catalog_resource",
    "catalog_resource_versions",
    "catalog_resource_schema",
    *api_further.PUBLIC_OPERATIONS,
}


def _step(steps: dict, action: str):
    """The named service function for a lifecycle action (one function per step)."""
    step = steps.get(action)
    if step is None:
        raise ValidationError.for_field("transition", _("unknown action “%s”") % action)
    return step


class SearchQuery(Schema):
    q: str = ""
    domain: list[str] = []
    department: list[str] = []
    openness: list[str] = []
    format: list[str] = []
    grade: list[str] = []
    update_frequency: list[str] = []
    state: list[str] = []
    sort: str = "relevance"
    cursor: str | None = None
    limit: int = 20
    facets: bool = True


class FacetValue(Schema):
    value: str
    label: str
    count: int


class ResourceOut(Schema):
    id: int
    name: str
    title: str
    title_en: str
    description: str
    description_en: str
    keywords_en: list[str]
    state: str
    version: int
    department: str
    department_name: str
    org_unit: str
    domain: str
    keywords: list[str]
    update_frequency: str
    temporal_start: dt.date | None
    temporal_end: dt.date | None
    spatial: str
    licence: str
    openness: str
    grade: str
    contact_name: str
    contact_email: str
    current_version: int | None
    row_count: int | None
    format: str | None
    published_at: dt.datetime | None
    created_at: dt.datetime
    modified_at: dt.datetime

    @staticmethod
    def resolve_department(obj: DataResource) -> str:
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj: DataResource) -> str:
        return obj.department.name

    @staticmethod
    def resolve_org_unit(obj: DataResource) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_current_version(obj: DataResource) -> int | None:
        return obj.current_version.number if obj.current_version_id else None

    @staticmethod
    def resolve_row_count(obj: DataResource) -> int | None:
        return obj.current_version.row_count if obj.current_version_id else None

    @staticmethod
    def resolve_format(obj: DataResource) -> str | None:
        return obj.current_version.source_format if obj.current_version_id else None


class SearchOut(Schema):
    items: list[ResourceOut]
    total: int
    facets: dict[str, list[FacetValue]]
    next: str | None


class VersionOut(Schema):
    number: int
    row_count: int
    source_format: str
    created_at: dt.datetime
    note: str


class FieldOut(Schema):
    name: str
    title: str = ""
    title_en: str = ""
    type: str = "string"
    format: str | None = None
    description: str = ""
    description_en: str = ""
    unit: str | None = None
    constraints: dict = {}
    category: str = "none"
    grade: str = "L1"
    public_grade: str = "L1"
    policy: dict = {}
    confirmed: bool = False


class SchemaOut(Schema):
    version: int
    fields: list[FieldOut]
    primary_key: list[str] | str | None = None


class ResourceIn(Schema):
    name: str
    department: int
    title: str
    title_en: str = ""
    description: str = ""
    description_en: str = ""
    domain: str = "other"
    keywords: list[str] = []
    keywords_en: list[str] = []
    update_frequency: str = "irregular"
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    spatial: str = ""
    licence: str = "CC-BY-4.0"
    openness: str = "unconditional"
    contact_name: str = ""
    contact_email: str = ""


class ResourcePatch(Schema):
    title: str | None = None
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    domain: str | None = None
    keywords: list[str] | None = None
    keywords_en: list[str] | None = None
    update_frequency: str | None = None
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    spatial: str | None = None
    licence: str | None = None
    openness: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None


class TransitionIn(Schema):
    action: str
    note: str = ""
    version: int | None = None


class FieldDecision(Schema):
    grade: str | None = None
    category: str | None = None
    policy: dict | str | None = None


class FieldsIn(Schema):
    fields: dict[str, FieldDecision] = {}
    confirm_all: bool = False
    note: str = ""


class RowErrorOut(Schema):
    row: int
    field: str
    rule: str
    message: str


class LoadOut(Schema):
    id: int
    resource: str
    state: str
    mode: str
    progress: int
    step: str
    file_name: str
    file_size: int
    file_sha256: str
    source_format: str
    row_count: int
    version: int | None
    message: str
    error_count: int
    errors: list[RowErrorOut]
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_resource(obj: LoadJob) -> str:
        return obj.resource.name

    @staticmethod
    def resolve_version(obj: LoadJob) -> int | None:
        return obj.version.number if obj.version_id else None


class KeyIn(Schema):
    name: str
    rate_limit_per_minute: int | None = None


class KeyOut(Schema):
    id: int
    name: str
    prefix: str
    rate_limit_per_minute: int
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class KeyCreated(KeyOut):
    secret: str


class ApplicationIn(Schema):
    purpose: str
    fields: list[str]


class ApplicationOut(Schema):
    id: int
    resource: str
    state: str
    version: int
    purpose: str
    fields: list[str]
    valid_until: dt.date | None
    decision_note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_resource(obj: DataApplication) -> str:
        return obj.resource.name


def _field_out(f: dict) -> dict[str, Any]:
    return {
        **{
            k: f.get(k)
            for k in ("name", "title", "title_en", "type", "format", "description", "description_en", "unit")
            if f.get(k) is not None
        },
        "constraints": f.get("constraints") or {},
        "category": (f.get("classification") or {}).get("category", "none"),
        "grade": f.get("grade", "L1"),
        "public_grade": f.get("public_grade", f.get("grade", "L1")),
        "policy": f.get("policy") or {"op": "keep"},
        "confirmed": bool(f.get("confirmed")),
    }


def _staff_resource(request, name: str) -> DataResource:
    resource = selectors.resource_get(user=request.auth, name_or_id=name)
    return resource


@router.get("/resources", response={200: SearchOut, **ERRORS}, auth=None, operation_id="catalog_resources")
def resources(request, f: Query[SearchQuery]):
    """Search the catalogue. ``q`` matches substrings of titles, descriptions, keywords and field
    names (Chinese needs no word segmentation); facets count by domain, department, openness,
    format, grade and update frequency; pass ``next`` back as ``cursor`` for the next page."""
    services.rate_limit_check(request)
    filters = {
        k: getattr(f, k)
        for k in ("domain", "department", "openness", "format", "grade", "update_frequency", "state")
        if getattr(f, k)
    }
    selectors.check_codes(filters)
    result = selectors.resource_search(
        user=_user(request),
        q=f.q,
        filters=filters,
        sort=f.sort,
        cursor=f.cursor,
        limit=f.limit,
        facet_fields=selectors.FACET_FIELDS if f.facets else (),
    )
    facets = {
        name: [{"value": v, "label": label, "count": n} for v, label, n in values]
        for name, values in result.facets.items()
    }
    return {"items": result.items, "total": result.total, "facets": facets, "next": result.next_cursor}


@router.get(
    "/resources/{name}", response={200: ResourceOut, **ERRORS}, auth=None, operation_id="catalog_resource"
)
def resource(request, name: str):
    """One data resource's metadata (published ones for everyone; drafts for their department's staff)."""
    services.rate_limit_check(request)
    return selectors.resource_get(user=_user(request), name_or_id=name)


@router.get(
    "/resources/{name}/versions",
    response={200: list[VersionOut], **ERRORS},
    auth=None,
    operation_id="catalog_resource_versions",
)
def resource_versions(request, name: str):
    """The resource's data versions, newest first, with row counts and load times."""
    services.rate_limit_check(request)
    found = selectors.resource_get(user=_user(request), name_or_id=name)
    return selectors.resource_versions(resource=found)


@router.get(
    "/resources/{name}/schema",
    response={200: SchemaOut, **ERRORS},
    auth=None,
    operation_id="catalog_resource_schema",
)
def resource_schema(request, name: str, version: int | None = None):
    """The Table Schema of the current (or a given) version, each field with its grade and the
    desensitization policy applied to the public variant."""
    services.rate_limit_check(request)
    found = selectors.resource_get(user=_user(request), name_or_id=name)
    v = found.current_version if version is None else selectors.version_get(resource=found, number=version)
    if v is None:
        raise NotFound("no such version")
    return {
        "version": v.number,
        "fields": [_field_out(f) for f in v.fields],
        "primary_key": v.schema.get("primaryKey"),
    }


@router.post("/resources", response={201: ResourceOut, **ERRORS}, operation_id="catalog_resource_create")
def resource_create(request, payload: ResourceIn):
    """Create a data resource (catalogue entry) as a draft in the caller's department."""
    data = payload.dict()
    department = account_selectors.department_by_id(data.pop("department"))
    if department is None:
        raise ValidationError.for_field("department", "no such department")
    name = data.pop("name")
    return Status(201, services.resource_create(actor=request.auth, department=department, name=name, **data))


@router.patch(
    "/resources/{name}", response={200: ResourceOut, **ERRORS}, operation_id="catalog_resource_update"
)
def resource_update(request, name: str, payload: ResourcePatch):
    """Change a resource's metadata; only the fields sent change (department staff with catalog.edit)."""
    found = _staff_resource(request, name)
    return services.resource_update(actor=request.auth, resource=found, **payload.dict(exclude_unset=True))


@router.post(
    "/resources/{name}/transitions",
    response={200: ResourceOut, **ERRORS},
    operation_id="catalog_resource_transition",
)
def resource_transition(request, name: str, payload: TransitionIn):
    """Lifecycle step: submit (publisher), approve / reject (data security officer; reject needs a
    reason), retire (reason) and reopen. Send ``version`` to guard against concurrent changes."""
    found = _staff_resource(request, name)
    step = _step(services.RESOURCE_STEPS, payload.action)
    return step(
        actor=request.auth,
        resource=found,
        note=payload.note,
        expected_version=payload.version,
    )


@router.post(
    "/resources/{name}/fields", response={200: SchemaOut, **ERRORS}, operation_id="catalog_resource_fields"
)
def resource_fields(request, name: str, payload: FieldsIn):
    """Confirm or override the suggested grade, class and policy of fields (a new version)."""
    found = _staff_resource(request, name)
    changes = {
        k: {kk: vv for kk, vv in v.dict().items() if vv is not None} for k, v in payload.fields.items()
    }
    v = services.field_grades_set(
        actor=request.auth,
        resource=found,
        changes=changes,
        confirm_all=payload.confirm_all,
        note=payload.note,
    )
    return {
        "version": v.number,
        "fields": [_field_out(f) for f in v.fields],
        "primary_key": v.schema.get("primaryKey"),
    }


@router.post("/resources/{name}/loads", response={202: LoadOut, **ERRORS}, operation_id="catalog_load_start")
def load_start(request, name: str, file: File[UploadedFile], mode: Form[str] = "replace"):
    """Upload a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX, JSON, NDJSON or GeoJSON file; the load runs
    in the background: poll ``GET /loads/{id}`` for progress and errors (row, field, rule)."""
    found = _staff_resource(request, name)
    job = services.load_start(
        actor=request.auth, resource=found, uploaded_file=file, mode=mode, file_name=file.name
    )
    return Status(202, job)


@router.get("/resources/{name}/loads", response={200: list[LoadOut], **ERRORS}, operation_id="catalog_loads")
def loads(request, name: str):
    """The resource's load jobs (uploads and harvests) with their state and errors, newest first."""
    found = _staff_resource(request, name)
    if not selectors.may_see_staff(request.auth, found):
        raise NotFound("no such resource")
    return selectors.resource_loads(resource=found)


@router.get("/loads/{job_id}", response={200: LoadOut, **ERRORS}, operation_id="catalog_load")
def load(request, job_id: int):
    """One load job: state, progress, row errors and the version it produced."""
    job = selectors.load_get(job_id)
    if job is None or not selectors.may_see_staff(request.auth, job.resource):
        raise NotFound("no such load")
    return job


@router.get("/keys", response={200: list[KeyOut], **ERRORS}, operation_id="catalog_keys")
def keys(request):
    """The caller's data-API keys (name, rate limit, last use; never the secret)."""
    return selectors.keys_of(user=request.auth)


@router.post("/keys", response={201: KeyCreated, **ERRORS}, operation_id="catalog_key_create")
def key_create(request, payload: KeyIn):
    """Create a data API key (the secret is in this response only). Send it as ``X-API-Key``."""
    key, secret = services.api_key_create(
        actor=request.auth, name=payload.name, rate_limit_per_minute=payload.rate_limit_per_minute
    )
    key.secret = secret
    return Status(201, key)


@router.delete("/keys/{key_id}", response={200: KeyOut, **ERRORS}, operation_id="catalog_key_revoke")
def key_revoke(request, key_id: int):
    """Revoke one of the caller's data-API keys; calls with it are refused at once."""
    key = selectors.key_get(key_id)
    if key is None or (key.owner_id != request.auth.pk and not can(request.auth, "catalog.manage_keys")):
        raise NotFound("no such key")
    return services.api_key_revoke(actor=request.auth, key=key)


@router.post(
    "/resources/{name}/applications",
    response={201: ApplicationOut, **ERRORS},
    operation_id="catalog_application_submit",
)
def application_submit(request, name: str, payload: ApplicationIn):
    """Apply for the rows of a conditionally open resource."""
    found = selectors.resource_get(user=request.auth, name_or_id=name)
    return Status(
        201,
        services.application_submit(
            actor=request.auth, resource=found, purpose=payload.purpose, fields=payload.fields
        ),
    )


@router.get(
    "/applications", response={200: list[ApplicationOut], **ERRORS}, operation_id="catalog_applications"
)
def applications(request, role: str = "applicant"):
    """Your own applications (``role=applicant``) or those your department decides (``role=decider``)."""
    if role == "decider":
        return list(selectors.applications_to_decide(user=request.auth)[:200])
    return list(selectors.applications_of(user=request.auth)[:200])


@router.post(
    "/applications/{application_id}/transitions",
    response={200: ApplicationOut, **ERRORS},
    operation_id="catalog_application_transition",
)
def application_transition(request, application_id: int, payload: TransitionIn):
    """Decide or withdraw an application for conditionally open data (approve, reject, withdraw)."""
    application = selectors.application_get(application_id)
    if application is None or not (
        application.applicant_id == request.auth.pk
        or selectors.applications_to_decide(user=request.auth).filter(pk=application_id).exists()
    ):
        raise NotFound("no such application")
    step = _step(services.APPLICATION_STEPS, payload.action)
    return step(
        actor=request.auth,
        application=application,
        note=payload.note,
        expected_version=payload.version,
    )
