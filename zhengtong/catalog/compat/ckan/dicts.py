"""Catalogue objects as CKAN dictionaries: package (dataset), resource, organization
(department) and group (domain)."""

from __future__ import annotations

from django.urls import reverse

from zhengtong.catalog import licences
from zhengtong.catalog.compat import common
from zhengtong.catalog.compat.ckan.further import further_resource_dicts
from zhengtong.catalog.models import DataResource


def _org_name(department) -> str:
    return f"{department.org_unit.code}-{department.code}"


def organization_dict(department, *, package_count: int | None = None, created: str | None = None) -> dict:
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
        "created": created,
        "org_unit": department.org_unit.code,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def _domain_label(value: str) -> str:
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
    return request.build_absolute_uri(
        reverse("compat:datasette_export", args=[resource.name, "csv"]) + "?_stream=on"
    )


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
    keywords = [k for k in (resource.keywords or []) if isinstance(k, str)]
    department = resource.department
    resources = [resource_dict(request, resource)] if resource.current_version_id else []
    resources += further_resource_dicts(request, resource, first_position=len(resources))
    licence = resource.licence or ""
    extras = {
        "openness": resource.openness,
        "grade": resource.grade,
        "update_frequency": resource.update_frequency,
        "domain": resource.domain,
        "title_en": resource.title_en,
        "description_en": resource.description_en,
        "keywords_en": ", ".join(resource.keywords_en or []),
        "spatial": resource.spatial,
        "temporal_start": common.iso(resource.temporal_start),
        "temporal_end": common.iso(resource.temporal_end),
        "published_at": common.iso(resource.published_at),
        # A harvested record says where it comes from, so a harvester reading it back (another
        # installation, or this one harvesting itself) can recognise its own copies.
        "harvest_source": resource.harvest_source.name if resource.harvest_source_id else None,
        "origin_url": resource.origin_url or None,
    }
    return {
        "id": str(resource.pk),
        "name": resource.name,
        "title": resource.title,
        "notes": resource.description,
        "url": request.build_absolute_uri(common.dataset_page(resource)),
        "version": str(resource.current_version.number) if resource.current_version_id else None,
        "author": department.name if department else "",
        "author_email": "",
        "maintainer": resource.contact_name,
        "maintainer_email": resource.contact_email,
        "license_id": licence,
        "license_title": str(info.title) if (info := licences.get(licence)) else licence,
        "license_url": info.url if info else "",
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
