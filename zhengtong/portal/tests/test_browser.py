"""Key pages in headless Chromium: language, elder mode, static assets, htmx and the chart.

Driven over the DevTools protocol by ``cdp.py`` (stdlib only). Screenshots go to var/screenshots/
for humans; the assertions are on the rendered DOM.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from zhengtong.portal.tests import axe
from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(
        find_chromium() is None, reason="headless Chromium is not installed (apt-get install chromium)"
    ),
]

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
BRAND_RED = "rgb(179, 38, 30)"  # --brand in portal.css: proves the stylesheet was served and applied


@pytest.fixture(scope="module")
def browser():
    with Browser.launch() as chromium:
        page = chromium.page()
        yield page
        page.close()


@pytest.fixture
def open_as(browser, live_server):
    """open_as(user_or_None, path, lang="zh-hans"|"en", elder=False) -> the page, loaded."""

    def _open(user, path: str, *, lang: str = "zh-hans", elder: bool = False):
        browser.clear_cookies()
        browser.set_language("zh-CN,zh" if lang == "zh-hans" else "en-US,en")
        browser.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, live_server.url)
        if elder:
            browser.set_cookie("zt_elder", "1", live_server.url)
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            browser.set_cookie(settings.SESSION_COOKIE_NAME, session, live_server.url)
        response = browser.goto(live_server.url + path)
        assert response.get("status") == 200, (path, response.get("status"))
        assert "script-src 'self';" in response["headers"]["Content-Security-Policy"]
        assert "Traceback" not in browser.evaluate("document.body.innerText")
        return browser

    return _open


def text(page, selector: str) -> str:
    return page.evaluate(f"(document.querySelector({selector!r}) || {{}}).textContent || ''").strip()


def font_size(page) -> float:
    return float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))


def shot(page, name: str) -> None:
    page.screenshot(SCREENSHOTS / f"{name}.png", full_page=False)


def test_home_in_chinese_english_and_elder_mode(open_as):
    page = open_as(None, "/")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    assert text(page, "h1") == "整体智治：基于共享数据的一体化政府"
    assert page.evaluate("document.querySelectorAll('h1').length") == 1
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") == BRAND_RED
    )
    # htmx and ECharts load only on pages that use them; the home page uses neither.
    assert page.evaluate("typeof htmx") == "undefined"
    assert page.evaluate("typeof echarts") == "undefined"
    assert axe.violations(page) == []
    assert page.csp_violations() == []
    standard = font_size(page)
    shot(page, "home-zh")

    page = open_as(None, "/", lang="en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert text(page, "h1") == "One government, acting on shared data"
    shot(page, "home-en")

    page = open_as(None, "/", elder=True)
    assert page.evaluate("document.body.classList.contains('elder')") is True
    assert font_size(page) >= standard + 4
    assert text(page, "h1") == "整体智治：基于共享数据的一体化政府"
    shot(page, "home-elder")


def test_console_draws_the_chart_with_a_table_beside_it(open_as, world):
    for seq in range(3):
        world.person(world.village, seq=20 + seq, name=f"王{seq}")
    world.person(world.beishan, seq=30, name="李四")
    page = open_as(world.xihu_clerk, "/console/")
    assert text(page, "h1") == "工作台"
    page.wait_for("!!document.querySelector('#persons-chart[data-chart-ready] svg')")
    assert page.evaluate("document.querySelector('#persons-chart').getAttribute('role')") == "img"
    assert page.evaluate("document.querySelector('#persons-chart').getAttribute('aria-label')")
    rows = page.evaluate(
        "[...document.querySelectorAll('.chart-grid tbody tr')].map(r => r.innerText.split('\\t'))"
    )
    assert rows == [["栖霞岭社区", "3"], ["北山街道", "1"]]
    assert page.csp_violations() == []  # ECharts and htmx run under the Content-Security-Policy
    # The clerk may not browse the audit trail: no link to it.
    assert page.evaluate("!!document.querySelector('a[href=\"/console/audit/\"]')") is False
    shot(page, "console-zh")

    page = open_as(world.xihu_clerk, "/console/", lang="en", elder=True)
    assert text(page, "h1") == "Staff console"
    assert font_size(page) == 22
    page.wait_for("!!document.querySelector('#persons-chart[data-chart-ready] svg')")
    shot(page, "console-en-elder")


def test_account_of_an_unverified_citizen(open_as, world):
    page = open_as(world.citizen, "/account/", lang="en")
    assert text(page, "h1") == "My account"
    assert text(page, "#rn-heading") == "Real-name verification"
    assert page.evaluate("!!document.querySelector('input[name=\"rn-resident_id\"]')") is True
    label = page.evaluate("document.querySelector('label[for=\"id_rn-resident_id\"]').textContent")
    assert label.startswith("Resident ID number")
    shot(page, "account-en")

    page = open_as(world.citizen, "/account/")
    assert text(page, "#rn-heading") == "实名认证"
    shot(page, "account-zh")


def test_person_search_swaps_results_with_htmx_and_masks_ids(open_as, world):
    person = world.person(name="张三")
    world.person(seq=12, name="李四")
    page = open_as(world.xihu_clerk, "/console/registry/persons/")
    assert page.evaluate("document.querySelectorAll('#person-rows tr').length") == 2
    page.evaluate("window.__notReloaded = true")
    page.evaluate(
        "document.querySelector('#id_q').value = '张'; document.querySelector('form[role=search]').requestSubmit()"
    )
    page.wait_for("document.querySelectorAll('#person-rows tr').length === 1")
    assert page.evaluate("window.__notReloaded") is True  # swapped in place, no page load
    assert page.evaluate("typeof htmx") == "object"  # loaded because the page has hx- attributes
    html = page.evaluate("document.documentElement.outerHTML")
    assert person.resident_id not in html
    assert person.resident_id[:6] + "********" + person.resident_id[-4:] in html
    assert "q=%E5%BC%A0" in page.evaluate("location.search")  # hx-push-url keeps the URL shareable
    shot(page, "persons-zh")


def test_import_upload_shows_progress_and_the_error_report(open_as, world, tmp_path):
    csv = tmp_path / "persons.csv"
    csv.write_text("resident_id,name\n123,张三\n", encoding="utf-8")
    page = open_as(world.xihu_clerk, "/console/registry/import/", lang="en")
    assert text(page, "h1") == "Import registry files"
    page.evaluate("window.__notReloaded = true")
    page.set_files("#id_file", [str(csv)])
    page.evaluate("document.querySelector('form[data-progress]').requestSubmit()")
    page.wait_for("!!document.querySelector('#import-report .report')")
    assert page.evaluate("window.__notReloaded") is True
    assert text(page, "#report-heading") == "Not imported: nothing was changed"
    assert page.evaluate("document.querySelector('#import-progress').value") == 100
    assert page.evaluate("document.querySelector('#import-progress').getAttribute('aria-valuenow')") == "100"
    assert page.evaluate("document.querySelectorAll('#import-report tbody tr').length") >= 1
    shot(page, "import-en")


def test_audit_browser_for_an_auditor(open_as, world):
    page = open_as(world.auditor, "/console/audit/", lang="en", elder=True)
    assert text(page, "h1") == "Audit trail"
    assert page.evaluate("document.querySelectorAll('.audit-table tbody tr').length") >= 5
    assert page.evaluate("document.querySelector('.audit-table caption').textContent") == (
        "Audit events, newest first"
    )
    shot(page, "audit-en-elder")
