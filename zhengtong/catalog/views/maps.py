"""The map preview of a dataset with coordinates: the rows' longitude/latitude pairs drawn on the
schematic map the codes module's risk map uses (ECharts ``geo``), cached per version."""

from __future__ import annotations

from django.conf import settings

from zhengtong.core import cache
from zhengtong.datastore import engine

MAP_CACHE = "catalog.maps"
# centroid_lon / centroid_lat: the columns a GeoJSON load adds (zhengtong.datastore.geojson).
LONGITUDE = {"经度", "lng", "lon", "long", "longitude", "x_lng", "centroid_lon"}
LATITUDE = {"纬度", "lat", "latitude", "y_lat", "centroid_lat"}
GEOMETRY = "geometry"
# Only points inside this box (China) are drawn; others are data errors for the map's purpose.
BOUNDS = (73.0, 136.0, 3.0, 54.0)


def _names(field: dict) -> set[str]:
    return {str(field.get("name", "")).strip().lower(), str(field.get("title", "")).strip().lower()}


def coordinate_fields(version, allowed: list[str] | None) -> tuple[str, str, str | None] | None:
    """(longitude, latitude, label) field names when the schema has a released numeric pair."""
    fields = [
        f
        for f in version.fields
        if (allowed is None or f["name"] in allowed) and (f.get("policy") or {}).get("op", "keep") == "keep"
    ]
    lng = next((f["name"] for f in fields if f.get("type") == "number" and _names(f) & LONGITUDE), None)
    lat = next((f["name"] for f in fields if f.get("type") == "number" and _names(f) & LATITUDE), None)
    if lng is None or lat is None:
        return None
    label = next((f["name"] for f in fields if f.get("type", "string") == "string"), None)
    return lng, lat, label


def geometry_field(version, allowed: list[str] | None) -> str | None:
    """The released GeoJSON geometry column of a version loaded from a GeoJSON file, else None."""
    if version is None or version.source_format != "geojson":
        return None
    for f in version.fields:
        released = (f.get("policy") or {}).get("op", "keep") == "keep"
        if f["name"] == GEOMETRY and (allowed is None or GEOMETRY in allowed) and released:
            return GEOMETRY
    return None


def map_points(resource, version, variant: str, allowed: list[str] | None) -> list[list] | None:
    """Up to CATALOG_MAP_MAX_POINTS [lng, lat, label] points, or None without coordinates."""
    found = coordinate_fields(version, allowed)
    if found is None:
        return None
    key = f"{version.pk}:{variant}:{','.join(allowed or [])}"
    return cache.cached(MAP_CACHE, key, lambda: _points(version, variant, found), 3600)


def _points(version, variant: str, found: tuple[str, str, str | None]) -> list[list]:
    lng, lat, label = found
    west, east, south, north = BOUNDS
    result = engine.query(
        version.table_key,
        version.store_version,
        variant,
        schema=version.schema,
        fields=[f for f in (lng, lat, label) if f],
        filters=[(lng, "gte", west), (lng, "lte", east), (lat, "gte", south), (lat, "lte", north)],
        limit=min(settings.CATALOG_MAP_MAX_POINTS, settings.DATASTORE_MAX_PAGE_SIZE),
        count="none",
    )
    return [
        [float(row[lng]), float(row[lat]), str(row.get(label) or "") if label else ""]
        for row in result.rows
        if row.get(lng) is not None and row.get(lat) is not None
    ]
