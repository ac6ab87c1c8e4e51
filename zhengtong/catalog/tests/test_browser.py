"""The open-data portal in headless Chromium: the list with facets, a dataset page with its
preview and ECharts charts (each with a data table), and no raw identifier on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
CSV = "行业,区县,注册资本,法定代表人,法定代表人身份证号,联系电话\n" + "".join(
    f"{['餐饮', '科技', '茶业', '物流'][i % 4]},{['西湖区', '滨江区', '上城区'][i % 3]},{(i * 37) % 500 + 10},"
    f"张{'三四五六'[i % 4]},33010619850615{(i * 7) % 1000:03d}{'0' if i % 2 else '1'},139{i:08d}\n"
    for i in range(60)
)


@pytest.fixture(scope="module")
def browser():
    with Browser.launch() as chromium:
        page = chromium.page()
        yield page
        page.close()


def test_portal_list_and_dataset_page(browser, live_server, cat, settings):
    from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV

    cat.published(name="enterprises")
    cat.published(name="industry-mix", text=CSV)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.clear_cookies()
    browser.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
    response = browser.goto(live_server.url + "/opendata/")
    assert response.get("status") == 200
    assert browser.evaluate("document.querySelectorAll('.dataset-item').length") == 2
    assert "开放数据" in browser.evaluate("document.querySelector('h1').textContent")
    assert browser.evaluate("document.querySelectorAll('.facet').length") >= 4
    browser.screenshot(SCREENSHOTS / "opendata-list-zh.png", full_page=True)

    response = browser.goto(live_server.url + "/opendata/industry-mix/")
    assert response.get("status") == 200
    browser.wait_for("document.querySelectorAll('[data-chart-ready]').length >= 2", timeout=10)
    assert browser.csp_violations() == []
    assert browser.evaluate("document.querySelectorAll('.chart-pair table').length") >= 2
    body = browser.evaluate("document.body.innerText")
    for raw in ("13900000001", "330106198506150011"):
        assert raw not in body
    assert "139****0001" in body
    browser.screenshot(SCREENSHOTS / "opendata-dataset-zh.png", full_page=True)
    assert ENTERPRISE_CSV  # the first dataset is listed above


def test_console_resource_page(browser, live_server, cat, settings):
    from django.test import Client

    resource = cat.resource(name="draft-mix")
    cat.load(resource, text=CSV)
    client = Client()
    client.force_login(cat.publisher, backend="django.contrib.auth.backends.ModelBackend")
    browser.clear_cookies()
    browser.set_cookie(settings.LANGUAGE_COOKIE_NAME, "en", live_server.url)
    browser.set_cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
    )
    response = browser.goto(live_server.url + "/console/data/draft-mix/")
    assert response.get("status") == 200
    assert browser.evaluate("document.querySelectorAll('.field-grades select').length") == 12
    assert "resident_id" in browser.evaluate("document.body.innerText")
    assert browser.evaluate("typeof htmx") == "object"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(SCREENSHOTS / "opendata-console-en.png", full_page=True)
