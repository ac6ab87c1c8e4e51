"""Reading a GeoJSON FeatureCollection (RFC 7946) into an all-string Arrow table, like the other
readers (``reading.read_file`` calls ``read_geojson`` for the "geojson" format).

Each feature becomes a row: its properties become columns (nested values as JSON text), its
geometry is kept as compact GeoJSON text in ``geometry``, and ``centroid_lon`` / ``centroid_lat``
hold the geometry's centroid (so the catalogue's map preview and GeoJSON export work on it);
``feature_id`` holds the features' ``id`` when any has one. Every feature is checked before
anything is kept; an error names the feature (1-based, as a row, and its index in ``features``)
and the rule it breaks.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa
import shapely
from django.utils.translation import gettext as _

from zhengtong.datastore.reading import _check_header, _decode_text, _fail, _json_text, _table_from_columns

GEOMETRY, LON, LAT, FEATURE_ID = "geometry", "centroid_lon", "centroid_lat", "feature_id"
GENERATED = (GEOMETRY, LON, LAT, FEATURE_ID)
# geometry type -> depth of nesting of its "coordinates" (a position is depth 1)
DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}


class _FeatureError(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def _position(value, where: str) -> None:
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise _FeatureError(
            "coordinates",
            _("%(where)s: a position must be [longitude, latitude] (or with altitude)") % {"where": where},
        )
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise _FeatureError(
                "coordinates", _("%(where)s: coordinates must be finite numbers") % {"where": where}
            )
    lon, lat = value[0], value[1]
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise _FeatureError(
            "coordinate_range",
            _(
                "%(where)s: longitude must be within −180…180 and latitude within −90…90 (got %(lon)s, %(lat)s)"
            )
            % {"where": where, "lon": lon, "lat": lat},
        )


def _coordinates(value, depth: int, kind: str, where: str) -> None:
    if depth == 1:
        _position(value, where)
        return
    if not isinstance(value, list):
        raise _FeatureError(
            "coordinates",
            _("%(where)s: coordinates of a %(kind)s must be an array") % {"where": where, "kind": kind},
        )
    if not value:
        raise _FeatureError(
            "coordinates", _("%(where)s: empty coordinates (use a null geometry)") % {"where": where}
        )
    if kind in ("LineString", "MultiLineString") and depth == 2 and len(value) < 2:
        raise _FeatureError(
            "coordinates", _("%(where)s: a line needs at least 2 positions") % {"where": where}
        )
    if kind in ("Polygon", "MultiPolygon") and depth == 2:
        if len(value) < 4:
            raise _FeatureError(
                "ring", _("%(where)s: a polygon ring needs at least 4 positions") % {"where": where}
            )
        if value[0] != value[-1]:
            raise _FeatureError(
                "ring", _("%(where)s: a polygon ring must end where it starts") % {"where": where}
            )
    for item in value:
        _coordinates(item, depth - 1, kind, where)


def _geometry(value, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _FeatureError("geometry", _("%(where)s: geometry must be an object or null") % {"where": where})
    kind = value.get("type")
    if kind == "GeometryCollection":
        parts = value.get("geometries")
        if not isinstance(parts, list) or not parts:
            raise _FeatureError(
                "geometry", _("%(where)s: a GeometryCollection needs geometries") % {"where": where}
            )
        for part in parts:
            if not isinstance(part, dict) or part.get("type") == "GeometryCollection":
                raise _FeatureError(
                    "geometry", _("%(where)s: nested geometry collections are not allowed") % {"where": where}
                )
            _geometry(part, where)
        return value
    if kind not in DEPTH:
        raise _FeatureError(
            "geometry_type",
            _("%(where)s: geometry type must be one of %(types)s (got %(got)s)")
            % {
                "where": where,
                "types": ", ".join([*DEPTH, "GeometryCollection"]),
                "got": json.dumps(kind)[:40],
            },
        )
    if "coordinates" not in value:
        raise _FeatureError("coordinates", _("%(where)s: the geometry has no coordinates") % {"where": where})
    _coordinates(value["coordinates"], DEPTH[kind], kind, where)
    return value


def _centroid(geometry: dict) -> tuple[float, float] | None:
    try:
        geom = shapely.from_geojson(json.dumps(geometry))
        point = geom.centroid if not geom.is_empty else None
    except (shapely.errors.GEOSException, ValueError):
        return None
    if point is None or point.is_empty:
        return None
    return round(point.x, 7), round(point.y, 7)


def _number(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def read_geojson(path: str, encoding: str | None) -> pa.Table:
    """The features of a FeatureCollection as rows; a ValidationError (rule, row = feature number)
    for the first broken feature or a file that is no FeatureCollection."""
    text = _decode_text(path, encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            "json", _("Line %(line)d: the file is not valid JSON.") % {"line": exc.lineno}, row=exc.lineno
        ) from None
    except RecursionError:
        raise _fail("json", _("The GeoJSON is nested too deeply.")) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _fail("feature_collection", _("A GeoJSON file must hold one FeatureCollection object."))
    features = data.get("features")
    if not isinstance(features, list):
        raise _fail("feature_collection", _("The FeatureCollection has no “features” array."))
    if not features:
        raise _fail("empty", _("The FeatureCollection has no features."))
    names: list[str] = []
    index: dict[str, int] = {}
    columns: list[list] = []
    geometries: list[str | None] = []
    lons: list[str | None] = []
    lats: list[str | None] = []
    ids: list[str | None] = []
    for i, feature in enumerate(features):
        where = _("Feature %(n)d (features[%(i)d])") % {"n": i + 1, "i": i}
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise _FeatureError(
                    "feature", _("%(where)s: must be an object of type “Feature”") % {"where": where}
                )
            geometry = _geometry(feature.get("geometry"), where)
            properties = feature.get("properties")
            if properties is None:
                properties = {}
            if not isinstance(properties, dict):
                raise _FeatureError(
                    "properties", _("%(where)s: properties must be an object or null") % {"where": where}
                )
            clash = sorted(set(properties) & set(GENERATED))
            if clash:
                raise _FeatureError(
                    "property_name",
                    _("%(where)s: property “%(name)s” is a reserved column name (%(reserved)s)")
                    % {"where": where, "name": clash[0], "reserved": ", ".join(GENERATED)},
                )
            fid = feature.get("id")
            if fid is not None and (isinstance(fid, bool) or not isinstance(fid, str | int | float)):
                raise _FeatureError("id", _("%(where)s: id must be a string or a number") % {"where": where})
        except _FeatureError as exc:
            raise _fail(exc.rule, exc.message, row=i + 1) from None
        for key in properties:
            if key not in index:
                index[key] = len(names)
                names.append(key)
                columns.append([None] * i)
                _check_header(names)
        for key, col in zip(names, columns, strict=True):
            col.append(_json_text(properties.get(key)))
        if geometry is None:
            geometries.append(None)
            lons.append(None)
            lats.append(None)
        else:
            geometries.append(json.dumps(geometry, ensure_ascii=False, separators=(",", ":")))
            centre = _centroid(geometry)
            lons.append(_number(centre[0]) if centre else None)
            lats.append(_number(centre[1]) if centre else None)
        ids.append(None if fid is None else str(fid))
    head_names, head_columns = ([FEATURE_ID], [ids]) if any(v is not None for v in ids) else ([], [])
    return _table_from_columns(
        _check_header([*head_names, *names, GEOMETRY, LON, LAT]),
        [*head_columns, *columns, geometries, lons, lats],
    )
