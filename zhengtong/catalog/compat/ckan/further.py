"""A dataset's further resources (``catalog.further``: data dictionary, map data, documents, API
links, catalogued APIs) as CKAN resource dictionaries, after the data table in ``resources``."""

from __future__ import annotations

from zhengtong.catalog import further
from zhengtong.catalog.compat import common


def further_resource_dicts(request, resource, *, first_position: int = 1) -> list[dict]:
    """CKAN resources beyond the data table; ``access`` says whether the caller may fetch it (a
    document's grade decides). Ids are "<dataset name>:<entry id>" so they never collide with
    the table's id (the dataset name)."""
    user = getattr(request, "user", None)
    out = []
    position = first_position
    for item in further.resource_list(user=user, resource=resource):
        if item["kind"] == "table":
            continue
        out.append(
            {
                "id": f"{resource.name}:{item['id']}",
                "package_id": str(resource.pk),
                "name": item["title"],
                "name_en": item["title_en"],
                "description": item["description"],
                "url": request.build_absolute_uri(item["url"]),
                "format": item["format"],
                "mimetype": item["media_type"] or None,
                "size": item["size"],
                "hash": "",
                "created": common.iso(item["created"]),
                "last_modified": common.iso(item["created"]),
                "metadata_modified": common.iso(resource.modified_at),
                "position": position,
                "url_type": "upload" if item["kind"] == "document" else None,
                "resource_type": item["kind"],
                "state": "active",
                "datastore_active": False,
                "grade": item["grade"],
                "access": item["allowed"],
                "dataservice": item["dataservice"],
            }
        )
        position += 1
    return out
