"""GeoJSON import: a FeatureCollection becomes a data table (properties as columns, geometry as
GeoJSON text, centroid longitude/latitude), checked feature by feature; the map preview and the
GeoJSON export work on it."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhengtong.catalog import services
from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine

POLYGON = [[[120.10, 30.20], [120.20, 30.20], [120.20, 30.30], [120.10, 30.30], [120.10, 30.20]]]
PARKS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "p1",
            "geometry": {"type": "Point", "coordinates": [120.15, 30.25]},
            "properties": {"名称": "柳浪闻莺", "面积": 21.0, "设施": {"厕所": 2}},
        },
        {
            "type": "Feature",
            "id": "p2",
            "geometry": {"type": "Polygon", "coordinates": POLYGON},
            "properties": {"名称": "太子湾公园", "面积": 80.5},
        },
        {"type": "Feature", "geometry": None, "properties": {"名称": "未定位公园"}},
    ],
}


def _file(data, name="parks.geojson") -> SimpleUploadedFile:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, body, content_type="application/geo+json")


def _read(tmp_path, data):
    path = tmp_path / "f.geojson"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return engine.read_file(str(path))


def _features(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _point(lon=120.1, lat=30.2, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def test_a_feature_collection_becomes_rows_with_geometry_and_centroids(tmp_path):
    rows = _read(tmp_path, PARKS).to_pylist()
    assert list(rows[0]) == ["feature_id", "名称", "面积", "设施", "geometry", "centroid_lon", "centroid_lat"]
    assert rows[0]["feature_id"] == "p1" and rows[0]["设施"] == '{"厕所": 2}'
    assert json.loads(rows[0]["geometry"]) == {"type": "Point", "coordinates": [120.15, 30.25]}
    assert (rows[0]["centroid_lon"], rows[0]["centroid_lat"]) == ("120.15", "30.25")
    assert json.loads(rows[1]["geometry"])["type"] == "Polygon"
    assert (float(rows[1]["centroid_lon"]), float(rows[1]["centroid_lat"])) == (120.15, 30.25)
    assert rows[2]["geometry"] is None and rows[2]["centroid_lon"] is None and rows[2]["面积"] is None


BROKEN = [
    # (the collection, rule, feature number named, a fragment of the message)
    (
        {"type": "Feature", "geometry": None, "properties": {}},
        "feature_collection",
        None,
        "FeatureCollection",
    ),
    ({"type": "FeatureCollection"}, "feature_collection", None, "features"),
    (_features(), "empty", None, "no features"),
    (_features(_point(), {"type": "Point", "coordinates": [1, 2]}), "feature", 2, "features[1]"),
    (
        _features(
            _point(), _point(), {"type": "Feature", "geometry": {"type": "Circle", "coordinates": [1, 2]}}
        ),
        "geometry_type",
        3,
        "features[2]",
    ),
    (_features(_point(lon=200)), "coordinate_range", 1, "features[0]"),
    (_features(_point(), _point(lon="120")), "coordinates", 2, "features[1]"),
    (
        _features(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            }
        ),
        "ring",
        1,
        "features[0]",
    ),
    (
        _features({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0]]}}),
        "coordinates",
        1,
        "at least 2",
    ),
    (_features({"type": "Feature", "geometry": None, "properties": [1, 2]}), "properties", 1, "features[0]"),
    (_features(_point(), _point(geometry="x")), "property_name", 2, "geometry"),
    (_features({"type": "Feature", "id": {"a": 1}, "geometry": None}), "id", 1, "features[0]"),
]


@pytest.mark.parametrize(("data", "rule", "feature", "fragment"), BROKEN)
def test_a_broken_feature_is_named_with_its_index_and_rule(tmp_path, data, rule, feature, fragment):
    with pytest.raises(ValidationError) as exc:
        _read(tmp_path, data)
    assert exc.value.details["rule"] == rule
    if feature is not None:
        assert exc.value.details["row"] == feature
        assert f"Feature {feature} (features[{feature - 1}])" in exc.value.message
    assert fragment in exc.value.message


def test_invalid_json_names_the_line(tmp_path):
    with pytest.raises(ValidationError) as exc:
        _read(tmp_path, b'{"type": "FeatureCollection",\n "features": [}')
    assert exc.value.details["rule"] == "json" and exc.value.details["row"] == 2


def test_a_geojson_load_makes_a_version_with_a_map_preview_and_a_geojson_export(cat, client):
    resource = cat.resource(name="parks", title="西湖区公园", keywords=["公园"])
    job = services.load_start(actor=cat.publisher, resource=resource, uploaded_file=_file(PARKS))
    assert job.state == "succeeded", (job.message, job.errors)
    resource.refresh_from_db()
    version = resource.current_version
    assert version.source_format == "geojson" and version.row_count == 3
    types = {f["name"]: f["type"] for f in version.fields}
    assert types["centroid_lon"] == "number" and types["centroid_lat"] == "number"
    assert types["geometry"] == "string"
    suggested = {f["name"]: (f["grade"], f["policy"]) for f in version.fields}
    # The publisher releases the parks' outlines as they are (the classifier may suggest otherwise
    # for coordinates: that is its job, and the publisher's decision).
    keep = {"grade": "L1", "policy": "keep"}
    services.field_grades_set(
        actor=cat.publisher,
        resource=resource,
        changes={"geometry": keep, "centroid_lon": keep, "centroid_lat": keep},
        confirm_all=True,
    )
    services.resource_submit(actor=cat.publisher, resource=resource)
    services.resource_approve(actor=cat.officer, resource=resource)
    html = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert 'id="dataset-map"' in html
    points = json.loads(html.split('id="map-points-data" type="application/json">')[1].split("</script>")[0])
    assert sorted(p[:2] for p in points) == [[120.15, 30.25], [120.15, 30.25]]
    assert 'data-resource="geojson"' in html
    response = client.get(reverse("catalog:geojson", args=[resource.name]))
    assert response.status_code == 200
    exported = json.loads(response.content)
    assert exported["type"] == "FeatureCollection"
    geometries = {f["properties"]["名称"]: f["geometry"] for f in exported["features"]}
    assert geometries["柳浪闻莺"] == {"type": "Point", "coordinates": [120.15, 30.25]}
    assert geometries["太子湾公园"] == {"type": "Polygon", "coordinates": POLYGON}, suggested
    assert geometries["未定位公园"] is None
    assert "geometry" not in exported["features"][0]["properties"]
    assert "centroid_lon" not in exported["features"][0]["properties"]


def test_a_broken_geojson_load_fails_naming_the_feature_and_keeps_nothing(cat):
    resource = cat.resource(name="parks")
    bad = _features(_point(), _point(lon=999, 名称="错"))
    job = services.load_start(actor=cat.publisher, resource=resource, uploaded_file=_file(bad))
    assert job.state == "failed"
    assert job.errors == [
        {"row": 2, "field": "", "rule": "coordinate_range", "message": job.errors[0]["message"]}
    ]
    assert "Feature 2 (features[1])" in job.errors[0]["message"]
    resource.refresh_from_db()
    assert resource.current_version is None
