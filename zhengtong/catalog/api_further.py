"""Catalogue API (added to ``catalog.api``'s router by ``register``): a dataset's resources (distributions: the data
table, data dictionary, map data, documents, API links, catalogued APIs), attaching documents
and API links, downloading a document with its grade's check, and the fields' titles."""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from zhengtong.accounts.services import api_token_authenticate
from zhengtong.catalog import further, selectors, services
from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.schemas import ERRORS

PUBLIC_OPERATIONS: set[str] = {
    "catalog_resource_distributions",
    "catalog_resource_document",
    "catalog_dataservices",
    "catalog_dataservice",
}


class CatalogDistributionOut(Schema):
    id: str
    kind: str
    title: str
    title_en: str = ""
    description: str = ""
    format: str
    media_type: str = ""
    url: str
    size: int | None = None
    grade: str
    allowed: bool
    dataservice: str | None = None
    created: dt.datetime | None = None


class CatalogAttachmentOut(Schema):
    id: int
    kind: str
    title: str
    title_en: str
    description: str
    grade: str
    file_name: str
    file_size: int
    file_sha256: str
    url: str
    dataservice: str | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_dataservice(obj) -> str | None:
        return obj.dataservice.name if obj.dataservice_id else None


class CatalogApiLinkIn(Schema):
    url: str
    title: str
    title_en: str = ""
    description: str = ""
    dataservice: str = ""


class CatalogFieldTitles(Schema):
    title: str | None = None
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None


class CatalogFieldTitlesIn(Schema):
    fields: dict[str, CatalogFieldTitles]


class CatalogFieldTitlesOut(Schema):
    version: int
    fields: list[dict]


class CatalogDataServiceOut(Schema):
    name: str
    title: str
    description: str
    department: str
    base_url: str
    openapi_url: str
    access: str
    conditions: str
    rate_limit: str
    licence: str
    available: bool | None
    checked_at: dt.datetime | None
    datasets: list[str]

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_datasets(obj) -> list[str]:
        return [d.name for d in obj.datasets.all() if d.state == "published"]


def caller(request):
    """The caller on a public operation: the session user, or the owner of a bearer API token."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer ") and not auth[7:].strip().startswith(services.KEY_PREFIX):
        return api_token_authenticate(auth[7:].strip(), method="GET")
    return request.user


def _absolute(request, items: list[dict]) -> list[dict]:
    return [{**i, "url": request.build_absolute_uri(i["url"])} for i in items]


def dataservices(request):
    """The API catalogue: base address, OpenAPI description, access, conditions, rate limit,
    licence, last availability check and the published datasets each API serves."""
    services.rate_limit_check(request)
    return list(selectors.dataservices()[:500])


def dataservice(request, name: str):
    """One entry of the API catalogue by its name: base address, OpenAPI description, access and
    conditions, rate limit, availability and the datasets it serves (404 for an unknown name)."""
    services.rate_limit_check(request)
    return selectors.dataservice_get(name)


def distributions(request, name: str):
    """Every resource of the dataset: ``table`` (CSV of the rows), ``dictionary``, ``gis`` (GeoJSON,
    when it has coordinates or geometries), ``document`` and ``api``; ``allowed`` says whether you
    may fetch it (a document's grade decides)."""
    services.rate_limit_check(request)
    user = caller(request)
    resource = selectors.resource_get(user=user, name_or_id=name)
    return _absolute(request, further.resource_list(user=user, resource=resource))


def document(request, name: str, doc_id: int):
    """Download a document: 403 when its grade does not allow you (L1 anyone on an open
    dataset; L2–L3 approved applicants; L4 staff)."""
    services.rate_limit_check(request)
    user = caller(request)
    resource = selectors.resource_get(user=user, name_or_id=name)
    attachment = further.attachment_get(resource=resource, pk=doc_id)
    if attachment.kind != "document":
        raise NotFound("no such document")
    if not further.document_allowed(user, resource, attachment):
        raise PermissionDenied("this document's grade does not allow you to download it")
    try:
        handle = open(attachment.file_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except OSError:
        raise NotFound("the document's file is missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.file_name, content_type=attachment.media_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    if resource.state == "published":
        services.usage_record(resource, "downloads")
    return response


def document_add(
    request,
    name: str,
    file: File[UploadedFile],
    title: Form[str],
    title_en: Form[str] = "",
    description: Form[str] = "",
    grade: Form[str] = "L1",
):
    """Attach a document (multipart: ``file``, ``title``, ``grade`` L1–L4 of its content)."""
    resource = selectors.resource_get(user=request.auth, name_or_id=name)
    attachment = services.document_add(
        actor=request.auth,
        resource=resource,
        uploaded_file=file,
        file_name=file.name,
        title=title,
        title_en=title_en,
        description=description,
        grade=grade,
    )
    return Status(201, attachment)


def api_link_add(request, name: str, payload: CatalogApiLinkIn):
    """Attach an API link; ``dataservice`` names its API catalogue entry (else matched by address)."""
    resource = selectors.resource_get(user=request.auth, name_or_id=name)
    return Status(201, services.api_link_add(actor=request.auth, resource=resource, **payload.dict()))


def attachment_remove(request, name: str, attachment_id: int):
    """Remove a document or API link from the dataset (the publisher in scope; audited)."""
    resource = selectors.resource_get(user=request.auth, name_or_id=name)
    attachment = further.attachment_get(resource=resource, pk=attachment_id)
    services.attachment_remove(actor=request.auth, attachment=attachment)
    return Status(204, None)


def field_titles(request, name: str, payload: CatalogFieldTitlesIn):
    """Set fields' Chinese and English titles and descriptions (a key left out is kept, "" clears
    it); no new version."""
    resource = selectors.resource_get(user=request.auth, name_or_id=name)
    titles = {k: {kk: vv for kk, vv in v.dict().items() if vv is not None} for k, v in payload.fields.items()}
    version = services.field_titles_set(actor=request.auth, resource=resource, titles=titles)
    keys = ("name", "title", "title_en", "description", "description_en")
    return {"version": version.number, "fields": [{k: f[k] for k in keys if k in f} for f in version.fields]}


def register(router: Router) -> None:
    """Add these operations to the catalogue's router (``catalog.api``)."""
    router.get(
        "/dataservices",
        response={200: list[CatalogDataServiceOut], **ERRORS},
        auth=None,
        operation_id="catalog_dataservices",
    )(dataservices)
    router.get(
        "/dataservices/{name}",
        response={200: CatalogDataServiceOut, **ERRORS},
        auth=None,
        operation_id="catalog_dataservice",
    )(dataservice)
    router.get(
        "/resources/{name}/distributions",
        response={200: list[CatalogDistributionOut], **ERRORS},
        auth=None,
        operation_id="catalog_resource_distributions",
    )(distributions)
    router.get(
        "/resources/{name}/documents/{doc_id}",
        response={200: None, **ERRORS},
        auth=None,
        operation_id="catalog_resource_document",
    )(document)
    router.post(
        "/resources/{name}/documents",
        response={201: CatalogAttachmentOut, **ERRORS},
        operation_id="catalog_resource_document_add",
    )(document_add)
    router.post(
        "/resources/{name}/api-links",
        response={201: CatalogAttachmentOut, **ERRORS},
        operation_id="catalog_resource_api_link_add",
    )(api_link_add)
    router.delete(
        "/resources/{name}/attachments/{attachment_id}",
        response={204: None, **ERRORS},
        operation_id="catalog_resource_attachment_remove",
    )(attachment_remove)
    router.put(
        "/resources/{name}/field-titles",
        response={200: CatalogFieldTitlesOut, **ERRORS},
        operation_id="catalog_resource_field_titles",
    )(field_titles)
