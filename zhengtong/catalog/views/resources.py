"""A dataset's further resources derived from its current version: the data dictionary (CSV of
its fields) and, for data with coordinates, a GeoJSON export of its points."""

from __future__ import annotations

import csv
import io
import json

from django.conf import settings
from django.http import Http404, HttpResponse

from zhengtong.catalog import selectors, services
from zhengtong.catalog.views.common import _schema_rows
from zhengtong.catalog.views.maps import BOUNDS, coordinate_fields, geometry_field
from zhengtong.core.access import public
from zhengtong.core.errors import NotFound
from zhengtong.datastore import engine

DICTIONARY_HEADER = [
    "name",
    "title",
    "title_en",
    "description",
    "description_en",
    "type",
    "format",
    "class",
    "grade",
    "desensitization",
    "released_grade",
]


def _resource(request, name: str):
    try:
        return selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None


@public
def dictionary(request, name: str):
    """The data dictionary of the current version (metadata only: anyone who sees the dataset)."""
    resource = _resource(request, name)
    if resource.current_version is None:
        raise Http404
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(DICTIONARY_HEADER)
    for f in _schema_rows(resource.current_version):
        writer.writerow(
            [
                _neutral(v)
                for v in (
                    f["name"],
                    f["title"],
                    f["title_en"],
                    f["description"],
                    f["description_en"],
                    f["type"],
                    f["format"],
                    f["category"],
                    f["grade"],
                    f["policy"],
                    f["public_grade"],
                )
            ]
        )
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{resource.name}-dictionary.csv"'
    return response


@public
def geojson(request, name: str):
    """The rows with coordinates as a GeoJSON FeatureCollection of points (the released fields as
    properties), up to CATALOG_GEOJSON_MAX_FEATURES; the same access as the downloads."""
    resource = _resource(request, name)
    version = resource.current_version
    allowed, limited_fields = selectors.rows_access(user=request.user, resource=resource)
    found = coordinate_fields(version, limited_fields) if (allowed and version is not None) else None
    if found is None:
        raise Http404
    services.rate_limit_check(request)
    lng, lat, _label = found
    variant = selectors.served_variant(user=request.user, resource=resource)
    fields = limited_fields or [f["name"] for f in version.fields]
    geometry = geometry_field(version, limited_fields)
    west, east, south, north = BOUNDS
    # Points made from coordinates are kept to the map's area; imported geometries are all given.
    bounds = (
        [] if geometry else [(lng, "gte", west), (lng, "lte", east), (lat, "gte", south), (lat, "lte", north)]
    )
    features, after = [], None
    while len(features) < settings.CATALOG_GEOJSON_MAX_FEATURES:
        result = engine.query(
            version.table_key,
            version.store_version,
            variant,
            schema=version.schema,
            fields=fields,
            filters=bounds,
            limit=settings.DATASTORE_MAX_PAGE_SIZE,
            after=after,
            count="none",
        )
        for row in result.rows:
            properties = {k: v for k, v in row.items() if k not in (lng, lat, geometry)}
            features.append(
                {"type": "Feature", "geometry": _geometry(row, lng, lat, geometry), "properties": properties}
            )
        after = result.next_cursor
        if not after:
            break
    body = {"type": "FeatureCollection", "features": features[: settings.CATALOG_GEOJSON_MAX_FEATURES]}
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), content_type="application/geo+json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{resource.name}-v{version.number}.geojson"'
    services.usage_record(resource, "downloads")
    return response


def _geometry(row: dict, lng: str, lat: str, geometry: str | None) -> dict | None:
    if geometry:
        text = row.get(geometry)
        return json.loads(text) if text else None
    return {"type": "Point", "coordinates": [float(row[lng]), float(row[lat])]}


def _neutral(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
