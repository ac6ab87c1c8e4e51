"""A dataset's resources as one list, the same on the dataset page, in the catalogue API and in
CKAN's ``package_show``: the data table, its data dictionary, its GeoJSON export (when it has
coordinates or geometries), documents, API links and the catalogued APIs serving it.

Each entry says whether the user may fetch it (``allowed``): the table and GeoJSON as the rows
(``selectors.rows_access``), the dictionary and links to anyone who sees the dataset, a
document by ``document_allowed`` (its own grade caps the openness it is served with).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from zhengtong.catalog import selectors
from zhengtong.catalog.models import DataResource, DataService, ResourceAttachment
from zhengtong.catalog.views.maps import coordinate_fields
from zhengtong.core.errors import NotFound
from zhengtong.privacy.grades import max_openness, openness_rank


def document_allowed(user, resource: DataResource, attachment: ResourceAttachment) -> bool:
    """Whether ``user`` may download a document: staff of the resource's scope always; others only
    on a published resource, with the less open of the resource's openness and what the
    document's grade allows (L1 unconditional, L2–L3 conditional: approved applicants, L4 closed)."""
    if selectors.may_see_staff(user, resource):
        return True
    if resource.state != "published":
        return False
    openness = min(resource.openness, max_openness(attachment.grade), key=openness_rank)
    if openness == "unconditional":
        return True
    if openness == "conditional":
        return selectors.approved_application(user=user, resource=resource) is not None
    return False


def _prefetched(resource: DataResource, name: str) -> bool:
    return name in getattr(resource, "_prefetched_objects_cache", {})


def attachments_of(resource: DataResource) -> list[ResourceAttachment]:
    """Documents and API links of a resource (uses ``selectors.FURTHER_PREFETCH`` when made)."""
    qs = (
        resource.attachments.all()
        if _prefetched(resource, "attachments")
        else resource.attachments.select_related("dataservice")
    )
    return sorted(qs, key=lambda a: (a.kind != "document", a.pk))


def attachment_get(*, resource: DataResource, pk: int) -> ResourceAttachment:
    found = ResourceAttachment.objects.filter(resource=resource, pk=pk).select_related("dataservice").first()
    if found is None:
        raise NotFound("no such document or link")
    return found


def serving_services(resource: DataResource) -> list[DataService]:
    """The catalogued APIs that serve the dataset."""
    if _prefetched(resource, "dataservices"):
        return sorted(resource.dataservices.all(), key=lambda s: (s.title, s.pk))
    return list(resource.dataservices.order_by("title", "id"))


def resource_list(*, user, resource: DataResource) -> list[dict[str, Any]]:
    """Every resource of a dataset (see the module's docstring), in a stable order; ``url`` is a
    path of this site (callers make it absolute) or an external address (API links)."""
    version = resource.current_version
    allowed_rows, limited = selectors.rows_access(user=user, resource=resource)
    items: list[dict[str, Any]] = []
    if version is not None:
        common = {"created": version.created_at, "grade": resource.grade, "dataservice": None}
        items.append(
            {
                **common,
                "id": "table",
                "kind": "table",
                "title": resource.title,
                "title_en": resource.title_en,
                "description": "",
                "format": "CSV",
                "media_type": "text/csv",
                "url": reverse("catalog:download", args=[resource.name, "csv"]),
                "size": None,
                "allowed": allowed_rows,
            }
        )
        items.append(
            {
                **common,
                "id": "dictionary",
                "kind": "dictionary",
                "title": "数据字典",
                "title_en": "Data dictionary",
                "description": "",
                "format": "CSV",
                "media_type": "text/csv",
                "url": reverse("catalog:dictionary", args=[resource.name]),
                "size": None,
                "grade": "L1",
                "allowed": True,
            }
        )
        if coordinate_fields(version, limited) is not None:
            items.append(
                {
                    **common,
                    "id": "geojson",
                    "kind": "gis",
                    "title": "地图数据",
                    "title_en": "Map data",
                    "description": "",
                    "format": "GeoJSON",
                    "media_type": "application/geo+json",
                    "url": reverse("catalog:geojson", args=[resource.name]),
                    "size": None,
                    "allowed": allowed_rows,
                }
            )
    linked: set[int] = set()
    for a in attachments_of(resource):
        entry = {
            "id": f"{a.kind}-{a.pk}",
            "kind": a.kind,
            "title": a.title,
            "title_en": a.title_en,
            "description": a.description,
            "created": a.created_at,
            "dataservice": None,
        }
        if a.kind == ResourceAttachment.Kind.DOCUMENT:
            entry.update(
                format=a.file_format.upper(),
                media_type=a.media_type,
                url=reverse("catalog:document", args=[resource.name, a.pk, a.file_name or "document"]),
                size=a.file_size,
                grade=a.grade,
                allowed=document_allowed(user, resource, a),
            )
        else:
            entry.update(format="API", media_type="", url=a.url, size=None, grade="L1", allowed=True)
            if a.dataservice_id:
                linked.add(a.dataservice_id)
                entry["dataservice"] = a.dataservice.name
        items.append(entry)
    for service in serving_services(resource):
        if service.pk in linked:
            continue
        items.append(
            {
                "id": f"service-{service.name}",
                "kind": "api",
                "title": service.title,
                "title_en": "",
                "description": service.description,
                "created": service.created_at,
                "format": "API",
                "media_type": "",
                "url": service.base_url,
                "size": None,
                "grade": "L1",
                "allowed": True,
                "dataservice": service.name,
            }
        )
    return items
