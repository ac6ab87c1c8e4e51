"""Issue 22's acceptance walk-through in headless Chromium, each step through the pages a person
uses, with a screenshot per step (var/screenshots/datause-*.png):

a citizen asks for a dataset; the department answers within its limit and later publishes it; the
requester, who follows the request, is told; a developer submits a reuse linked to two datasets
and it appears on both; an error report is filed and resolved publicly; an overdue dataset is
badged and its publisher told; a dataset with coordinates shows a map preview. Then item 6: a
GeoJSON file uploaded in the console becomes a dataset with a map, a document and an API link
are attached, and the fields' English titles show on the English page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]

SHOTS = Path(settings.VAR_DIR) / "screenshots"
STOPS = "站点名称,经度,纬度,线路数\n" + "".join(
    f"站点{i},{120.10 + i * 0.01:.4f},{30.20 + (i % 5) * 0.01:.4f},{i % 4 + 1}\n" for i in range(12)
)
PARKS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [120.15, 30.25]},
            "properties": {"name": "柳浪闻莺", "area": 21},
        },
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[120.14, 30.22], [120.16, 30.22], [120.16, 30.24], [120.14, 30.24], [120.14, 30.22]]
                ],
            },
            "properties": {"name": "太子湾公园", "area": 80},
        },
    ],
}


@pytest.fixture(scope="module")
def page():
    with Browser.launch() as chromium:
        tab = chromium.page()
        yield tab
        tab.close()


def as_user(page, live_server, user, lang="zh-hans"):
    page.clear_cookies()
    page.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, live_server.url)
    if user is not None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        page.set_cookie(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
        )


def submit(page, form: str, values: dict, button: str = "button[type=submit], button:not([type])"):
    """Fill the form ``form`` (a CSS selector) as a person would and press its button; wait for the
    next page."""
    filled = page.evaluate(
        f"""(() => {{
        const form = document.querySelector({json.dumps(form)});
        if (!form) return "no form";
        const values = {json.dumps(values, ensure_ascii=False)};
        for (const [name, value] of Object.entries(values)) {{
          const el = form.querySelector(`[name="${{name}}"]`);
          if (!el) return "no field " + name;
          if (el.type === "checkbox") el.checked = !!value; else el.value = value;
        }}
        window.__ztBefore = true;
        const btn = form.querySelector({json.dumps(button)});
        if (!btn) return "no button";
        btn.click();
        return "ok";
      }})()"""
    )
    assert filled == "ok", filled
    page.wait_for("window.__ztBefore === undefined && document.readyState === 'complete'", timeout=20)


def text(page) -> str:
    return page.evaluate("document.body.innerText")


def shot(page, name):
    page.screenshot(SHOTS / f"datause-{name}.png", full_page=True)


def test_the_issue_22_walk_through(page, live_server, use, world):
    from zhengtong.catalog import services as catalog
    from zhengtong.catalog.models import ResourceVersion
    from zhengtong.datause.models import DataRequest, Reuse
    from zhengtong.datause.services import quality
    from zhengtong.notify.models import Message

    SHOTS.mkdir(parents=True, exist_ok=True)
    developer = use.other
    stops = use.published(name="bus-stops", text=STOPS)
    enterprises = use.published(name="enterprises")

    # 1. A citizen asks for a dataset.
    as_user(page, live_server, use.citizen)
    page.goto(live_server.url + "/datause/requests/new/")
    submit(
        page,
        "form:has([name=title])",
        {
            "title": "西湖区餐饮企业名单",
            "description": "名称、地址、许可证有效期，按月更新。",
            "purpose": "做一个餐饮地图",
            "department": str(world.xihu_scjg.pk),
            "format": "table",
            "frequency": "monthly",
            "public": True,
        },
    )
    request = DataRequest.objects.get()
    assert page.evaluate("location.pathname") == f"/datause/requests/{request.pk}/"
    shot(page, "1-request-asked")

    # 2. The department answers within its limit ("will be opened")...
    as_user(page, live_server, use.publisher)
    page.goto(live_server.url + f"/console/datause/requests/{request.pk}/")
    submit(page, "form:has(input[value=answer])", {"outcome": "open", "answer": "将于本月开放。"})
    request.refresh_from_db()
    assert request.state == "answered" and request.answered_on_time is True
    shot(page, "2-request-answered")
    # ... and later publishes it and links it to the request.
    restaurants = use.published(name="restaurants")
    page.goto(live_server.url + f"/console/datause/requests/{request.pk}/")
    submit(page, "form:has(input[value=fulfil])", {"resource": restaurants.name})
    request.refresh_from_db()
    assert request.state == "fulfilled"
    # 3. The requester, who follows the request, is told of the answer and the publication.
    events = set(Message.objects.filter(recipient=use.citizen).values_list("event", flat=True))
    assert {"datause.request_answered", "datause.request_fulfilled"} <= events
    as_user(page, live_server, use.citizen)
    page.goto(live_server.url + f"/datause/requests/{request.pk}/")
    assert "将于本月开放" in text(page)
    shot(page, "3-request-fulfilled-public")

    # 4. A developer submits a reuse linked to two datasets; reviewed, it appears on both pages.
    as_user(page, live_server, developer)
    page.goto(live_server.url + "/datause/reuses/new/")
    submit(
        page,
        "form:has([name=datasets])",
        {
            "title": "公交与企业分布图",
            "kind": "visualisation",
            "url": "https://example.org/bus-map",
            "description": "把公交站点与企业分布叠在一张图上。",
            "datasets": f"{stops.name}, {enterprises.name}",
        },
    )
    reuse = Reuse.objects.get()
    as_user(page, live_server, use.officer)
    page.goto(live_server.url + "/console/datause/reuses/")
    submit(page, f"form:has(input[name=reuse][value='{reuse.pk}'])", {}, button="button[value=publish]")
    reuse.refresh_from_db()
    assert reuse.state == "published"
    as_user(page, live_server, None)
    for dataset in (stops, enterprises):
        page.goto(live_server.url + f"/opendata/{dataset.name}/")
        assert "公交与企业分布图" in text(page)
    shot(page, "4-reuse-on-dataset")

    # 5. An error report is filed and resolved publicly.
    as_user(page, live_server, use.citizen)
    page.goto(live_server.url + f"/opendata/{stops.name}/")
    submit(
        page, "form:has(input[name=action][value=report])", {"description": "站点3的经度错了，应为120.13。"}
    )
    as_user(page, live_server, use.publisher)
    page.goto(live_server.url + "/console/datause/feedback/")
    submit(page, "form:has(input[name=report])", {"reply": "已更正。"}, button="button[value=resolve]")
    as_user(page, live_server, None)
    page.goto(live_server.url + f"/opendata/{stops.name}/#feedback")
    body = text(page)
    assert "站点3的经度错了" in body and "已更正" in body
    shot(page, "5-error-report-resolved")

    # 6. An overdue dataset (monthly, last loaded 40 days ago) is badged and its publisher told.
    ResourceVersion.objects.filter(resource=enterprises).update(
        created_at=timezone.now() - dt.timedelta(days=40)
    )
    enterprises.refresh_from_db()
    quality.status_scan()  # the periodic scan
    page.goto(live_server.url + f"/opendata/{enterprises.name}/")
    assert page.evaluate("document.querySelectorAll('[data-overdue]').length") == 1
    assert Message.objects.filter(recipient=use.publisher, event="datause.dataset_overdue").exists()
    shot(page, "6-overdue-badge")

    # 7. A dataset with coordinates shows a map preview (points drawn, no CSP violation).
    page.goto(live_server.url + f"/opendata/{stops.name}/#map")
    shot(page, "7-map-preview")
    assert page.evaluate("!!document.querySelector('#dataset-map')"), text(page)[:3000]
    page.wait_for("!!document.querySelector('#dataset-map[data-chart-ready]')", timeout=30)
    assert page.evaluate("document.querySelectorAll('#dataset-map svg path').length") > 10
    assert page.csp_violations() == []
    shot(page, "7-map-preview")
    assert catalog  # the catalogue's services made the datasets above


def test_item_6_geojson_upload_documents_links_and_english_titles(page, live_server, use, world, tmp_path):
    from zhengtong.catalog import services as catalog

    SHOTS.mkdir(parents=True, exist_ok=True)
    parks = use.resource(name="parks", title="西湖区公园", keywords=["公园"])
    service = catalog.dataservice_create(
        actor=use.publisher,
        department=world.xihu_scjg,
        name="parks-api",
        title="公园查询接口",
        base_url="https://api.example.gov.cn/parks",
    )
    as_user(page, live_server, use.publisher, lang="en")
    # The GeoJSON file, uploaded as a person would in the console.
    geojson = tmp_path / "parks.geojson"
    geojson.write_text(json.dumps(PARKS, ensure_ascii=False), encoding="utf-8")
    page.goto(live_server.url + f"/console/data/{parks.name}/")
    page.set_files("#id_file", [str(geojson)])
    page.evaluate("window.__ztBefore = true; document.querySelector('#id_file').form.submit()")
    page.wait_for("window.__ztBefore === undefined && document.readyState === 'complete'", timeout=30)
    parks.refresh_from_db()
    assert parks.current_version is not None and parks.current_version.source_format == "geojson"
    keep = {"grade": "L1", "policy": "keep"}
    catalog.field_grades_set(
        actor=use.publisher,
        resource=parks,
        changes={"name": keep, "geometry": keep, "centroid_lon": keep, "centroid_lat": keep},
        confirm_all=True,
    )
    page.goto(live_server.url + f"/console/data/{parks.name}/")
    names = [f["name"] for f in parks.current_version.fields]
    submit(
        page,
        "form.field-titles",
        {
            f"title-{names.index('name')}": "公园名称",
            f"title_en-{names.index('name')}": "Park name",
            f"title-{names.index('area')}": "面积（公顷）",
            f"title_en-{names.index('area')}": "Area (ha)",
        },
    )
    doc = tmp_path / "公园说明.pdf"
    doc.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.set_files("#id_doc-file", [str(doc)])
    submit(
        page,
        "#document-form",
        {"doc-title": "公园数据说明", "doc-title_en": "About the park data", "doc-grade": "L1"},
    )
    submit(
        page,
        "#api-link-form",
        {"api-url": "https://api.example.gov.cn/parks/v1/list", "api-title": "公园列表接口"},
    )
    shot(page, "8-console-titles-documents-en")
    parks.refresh_from_db()
    catalog.resource_submit(actor=use.publisher, resource=parks)
    catalog.resource_approve(actor=use.officer, resource=parks)

    as_user(page, live_server, None, lang="en")
    page.goto(live_server.url + f"/opendata/{parks.name}/")
    page.wait_for("!!document.querySelector('#dataset-map[data-chart-ready]')", timeout=15)
    body = text(page)
    assert "Park name" in body and "Area (ha)" in body
    rows = page.evaluate("[...document.querySelectorAll('#resources tbody tr')].map(r => r.dataset.resource)")
    assert rows[:3] == ["dictionary", "geojson", rows[2]] and rows[2].startswith("document-")
    assert "About the park data" in body and "公园列表接口" in body and "In the API catalogue" in body
    assert page.csp_violations() == []
    shot(page, "9-geojson-dataset-en")
    exported = json.loads(Client().get(f"/opendata/{parks.name}/points.geojson").content)
    assert {f["geometry"]["type"] for f in exported["features"]} == {"Point", "Polygon"}
    as_user(page, live_server, None, lang="zh-hans")
    page.goto(live_server.url + f"/opendata/{parks.name}/")
    assert "公园名称" in text(page)
    shot(page, "10-geojson-dataset-zh")
    assert service.name == "parks-api"
