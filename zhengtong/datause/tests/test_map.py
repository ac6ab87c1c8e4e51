from __future__ import annotations

import json
import re

from django.urls import reverse

STOPS_CSV = "站点编号,站点名称,经度,纬度\n1,西溪,120.063,30.274\n2,朝晖五区,120.157,30.290\n3,错误坐标,0,0\n"


def test_a_dataset_with_coordinates_shows_a_map_preview(use, client):
    resource = use.published(name="bus-stops", text=STOPS_CSV)
    page = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert 'id="dataset-map"' in page and "catalog/map.js" in page
    data = json.loads(
        re.search(r'<script id="map-points-data" type="application/json">(.*?)</script>', page).group(1)
    )
    assert sorted(data) == [[120.063, 30.274, "西溪"], [120.157, 30.29, "朝晖五区"]]  # (0, 0) is off the map


def test_a_dataset_without_coordinates_has_no_map(use, client):
    resource = use.published()
    page = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert 'id="dataset-map"' not in page


def test_english_description_and_keywords_are_kept_and_shown(use, client):
    from zhengtong.catalog import services as catalog_services

    resource = use.published()
    catalog_services.resource_update(
        actor=use.publisher,
        resource=resource,
        description_en="Enterprises registered in Xihu district.",
        keywords_en="enterprises, market entities",
    )
    resource.refresh_from_db()
    assert resource.keywords_en == ["enterprises", "market entities"]
    page = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert "Enterprises registered in Xihu district." in page and "market entities" in page
    ckan = client.get(f"/api/3/action/package_show?id={resource.name}").json()["result"]
    extras = {e["key"]: e["value"] for e in ckan["extras"]}
    assert extras["description_en"] == "Enterprises registered in Xihu district."
    ttl = client.get(f"/dataset/{resource.name}.ttl").content.decode()
    assert '"market entities"@en' in ttl


def test_geojson_export_and_data_dictionary(use, client):
    resource = use.published(name="bus-stops", text=STOPS_CSV)
    body = client.get(f"/opendata/{resource.name}/points.geojson").json()
    assert body["type"] == "FeatureCollection"
    assert sorted(f["geometry"]["coordinates"] for f in body["features"]) == [
        [120.063, 30.274],
        [120.157, 30.29],
    ]
    assert {f["properties"]["站点名称"] for f in body["features"]} == {"西溪", "朝晖五区"}
    lines = client.get(f"/opendata/{resource.name}/dictionary.csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("name,title,title_en,description,description_en,type") and any(
        line.startswith("经度,") for line in lines
    )
    plain = use.published()
    assert client.get(f"/opendata/{plain.name}/points.geojson").status_code == 404
