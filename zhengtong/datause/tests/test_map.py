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
