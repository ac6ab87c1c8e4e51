"""Walk-through in headless Chromium at a phone-sized viewport, with screenshots in
var/screenshots/grid-*.png: a grid worker reports an incident (location by tapping the map of
their cells, a photo), the township dispatches it in one click, the department disposes of it,
the grid worker verifies it on site, the township closes it; the month's report counts it."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from shapely.geometry import shape

from zhengtong.portal.tests import axe, weight
from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]
SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture(scope="module")
def phone():
    with Browser.launch(width=390, height=844) as chromium:
        page = chromium.page()
        page.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True
        )
        yield page
        page.close()


def open_as(page, live_server, user, path: str):
    page.clear_cookies()
    page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
    client = Client()
    client.force_login(user)
    page.set_cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
    )
    response = page.goto(live_server.url + path)
    assert response.get("status") == 200, (path, response.get("status"))
    return page


def click(page, selector: str):
    page.evaluate(f"document.querySelector({selector!r}).click()")


def shot(page, name: str):
    page.screenshot(SHOTS / f"grid-{name}.png", full_page=True)


def act(page, action: str):
    click(page, f"button[name=action][value={action}]")
    page.wait_for("document.readyState === 'complete' && !!document.querySelector('.message')", timeout=10.0)


def test_report_dispatch_dispose_verify_close_and_count(phone, live_server, grid, tmp_path):
    from PIL import Image

    from zhengtong.grid import reports
    from zhengtong.grid.demo import REPORT_TEMPLATES
    from zhengtong.grid.models import Incident

    for spec in REPORT_TEMPLATES:
        reports.template_save(actor=grid.w.system, **spec)
    photo = tmp_path / "pothole.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 90)).save(buf, format="JPEG")
    photo.write_bytes(buf.getvalue())

    # 1. The grid worker reports from the phone: category, description, a tap on the map, a photo.
    page = open_as(phone, live_server, grid.worker, "/grid/report/")
    assert page.evaluate("window.innerWidth") == 390
    page.wait_for(
        "!!document.querySelector('.pick-map.leaflet-container[data-chart-ready]') && "
        "document.querySelectorAll('.pick-map path.leaflet-interactive').length > 1",
        timeout=10.0,
    )
    assert page.evaluate("typeof echarts") == "undefined"  # the phone page does not load ECharts
    assert axe.violations(page) == []
    # First load under 150 KB transferred: each file the page fetched, gzip-compressed as the demo
    # (WhiteNoise, HTML_GZIP) sends it.
    fetched = page.evaluate(
        "[location.pathname].concat(performance.getEntriesByType('resource').map(e => new URL(e.name).pathname))"
    )
    assert weight.transferred(fetched, user=grid.worker) < 150_000, fetched
    page.evaluate("document.getElementById('id_category').value = 'C0201'")
    page.evaluate("document.getElementById('id_description').value = '路灯夜间不亮，连续三盏'")
    page.evaluate("document.querySelector('.pick-map').scrollIntoView({block: 'center'})")
    time.sleep(0.3)
    # Tap the middle of the worker's first cell, where the map draws it.
    centre = shape(json.loads(grid.cell1.geometry)).representative_point()
    box = page.evaluate(
        "(() => { const m = document.querySelector('.pick-map').ztMap;"
        f" const p = m.latLngToContainerPoint([{centre.y}, {centre.x}]);"
        " const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()"
    )
    page.call(
        "Input.dispatchMouseEvent", type="mousePressed", x=box[0], y=box[1], button="left", clickCount=1
    )
    page.call(
        "Input.dispatchMouseEvent", type="mouseReleased", x=box[0], y=box[1], button="left", clickCount=1
    )
    page.wait_for("document.getElementById('id_lat').value !== ''", timeout=10.0)
    page.set_files("#id_photos", [str(photo)])
    shot(page, "1-report-phone")
    click(page, ".report-form button[type=submit]")
    page.wait_for(
        "location.pathname.startsWith('/grid/incidents/') && document.readyState === 'complete'", timeout=10.0
    )
    incident = Incident.objects.get()
    assert (incident.cell_id, incident.state, incident.photos.count()) == (grid.cell1.pk, "reported", 1)
    shot(page, "2-reported")

    # 2. The township command room dispatches it in one click (htmx).
    page = open_as(phone, live_server, grid.command, "/grid/command/")
    page.wait_for(
        "!!document.querySelector('.command-map[data-chart-ready]') && "
        "document.querySelectorAll('.command-map .zt-map-label').length > 1",
        timeout=10.0,
    )
    # The incident is a dot on the map, drawn over the real county boundary and the cells.
    assert page.evaluate("document.querySelectorAll('.command-map path.leaflet-interactive').length") >= 3
    time.sleep(0.5)  # let the map finish its animation before the screenshot
    assert page.csp_violations() == []  # the map (Leaflet) and htmx under the Content-Security-Policy
    assert axe.violations(page) == []
    shot(page, "3-command-room")
    click(page, f"#wait-{incident.pk} button")
    page.wait_for(
        f"document.querySelector('#wait-{incident.pk}').textContent.includes('住房和城乡建设局')",
        timeout=10.0,
    )
    incident.refresh_from_db()
    assert incident.state == "dispatched" and incident.handling_department == grid.depts["zjj"]
    shot(page, "4-dispatched")

    # 3. The department disposes of it.
    page = open_as(phone, live_server, grid.zjj_handler, f"/grid/incidents/{incident.pk}/")
    page.evaluate("document.getElementById('id_note').value = '已更换灯泡'")
    act(page, "dispose")
    assert page.evaluate("document.querySelector('[data-state]').dataset.state") == "disposed"
    shot(page, "5-disposed")

    # 4. The grid worker verifies on site (it is on their task list).
    page = open_as(phone, live_server, grid.worker, "/grid/")
    assert f"#{incident.pk}" in page.evaluate("document.querySelector('.task-list').textContent")
    shot(page, "6-workbench-task")
    page = open_as(phone, live_server, grid.worker, f"/grid/incidents/{incident.pk}/")
    act(page, "verify")
    shot(page, "7-verified")

    # 5. The township closes it.
    page = open_as(phone, live_server, grid.command, f"/grid/incidents/{incident.pk}/")
    act(page, "close")
    incident.refresh_from_db()
    assert incident.state == "closed"
    shot(page, "8-closed")

    # 6. The month's report counts it, from data, without anyone typing it.
    period = timezone.localdate().strftime("%Y-%m")
    page = open_as(
        phone,
        live_server,
        grid.command,
        f"/grid/reports/grid-incidents-monthly/?unit={grid.w.beishan.pk}&period={period}",
    )
    closed = page.evaluate("document.querySelector('tr[data-key=incidents_closed] .value').textContent")
    reported = page.evaluate("document.querySelector('tr[data-key=incidents_reported] .value').textContent")
    assert (closed, reported) == ("1", "1")
    shot(page, "9-monthly-report")
