"""The header per role at 1,366 and 390 px, the phone menu, the sign-in errors, the large-text
toggle, and axe-core (WCAG 2.1 A/AA) on the pages involved; screenshots in var/screenshots/ui-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from zhengtong.portal.tests import axe
from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]
SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture(scope="module")
def page():
    with Browser.launch(width=1366, height=900) as chromium:
        p = chromium.page()
        yield p
        p.close()


def _open(page, live_server, user, path, *, width=1366):
    page.call(
        "Emulation.setDeviceMetricsOverride", width=width, height=900 if width > 500 else 844,
        deviceScaleFactor=1, mobile=width < 500,
    )  # fmt: skip
    page.clear_cookies()
    page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
    if user is not None:
        client = Client()
        client.force_login(user)
        page.set_cookie(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
        )
    response = page.goto(live_server.url + path)
    assert response.get("status") == 200, (path, response.get("status"))
    return page


def _header(page) -> dict:
    return page.evaluate(
        "({h: document.querySelector('.site-header').getBoundingClientRect().height,"
        " links: [...document.querySelectorAll('.main-nav a')].filter(a => a.offsetParent).map(a => a.getAttribute('href')),"
        " toggle: !!document.querySelector('.nav-toggle').offsetParent})"
    )


def test_header_by_role_fits_one_line_and_collapses_on_phones(page, live_server, world):
    from zhengtong.accounts.models import UserKind

    grid_worker = world.staff("gw", "grid_worker", world.grid, kind=UserKind.GRID_WORKER)
    enterprise = world.acc.user_create(
        actor=world.system, username="ent", password="Zt-test-pass-1", kind=UserKind.ENTERPRISE
    )
    seen = {}
    for name, user in [
        ("public", None), ("citizen", world.citizen), ("enterprise", enterprise),
        ("staff", world.xihu_clerk), ("grid", grid_worker),
    ]:  # fmt: skip
        _open(page, live_server, user, "/")
        header = _header(page)
        # One line at 1,366 px: the header is as tall as its single row of buttons.
        assert header["h"] < 64, (name, header)
        assert header["toggle"] is False
        seen[name] = header["links"]
        page.screenshot(SHOTS / f"ui-header-{name}-1366.png", full_page=False)
        assert axe.violations(page) == [], name

        _open(page, live_server, user, "/", width=390)
        header = _header(page)
        assert header["h"] < 64 and header["toggle"] is True and header["links"] == [], (name, header)
        page.evaluate("document.querySelector('.nav-toggle').click()")
        assert page.evaluate("document.querySelector('.nav-toggle').getAttribute('aria-expanded')") == "true"
        assert _header(page)["links"] == seen[name]
        page.screenshot(SHOTS / f"ui-header-{name}-390-open.png", full_page=False)
        assert axe.violations(page) == [], name

    # Each audience sees its own links; every public page is still in everyone's footer.
    services, mine, console = (
        reverse("services:catalogue"),
        reverse("services:my_cases"),
        reverse("portal:console"),
    )
    credit, workbench = reverse("credit:home"), reverse("grid:workbench")
    assert services in seen["public"] and console not in seen["public"] and mine not in seen["public"]
    assert {services, mine} <= set(seen["citizen"]) and credit not in seen["citizen"]
    assert {services, mine, credit} <= set(seen["enterprise"])
    assert console in seen["staff"] and services not in seen["staff"]
    assert workbench in seen["grid"] and services not in seen["grid"]
    footer = page.evaluate("[...document.querySelectorAll('.footer-nav a')].map(a => a.getAttribute('href'))")
    assert {services, credit} <= set(footer)


def test_sign_in_errors_are_announced_and_focused(page, live_server, world):
    _open(page, live_server, None, "/login/")
    assert page.evaluate("document.getElementById('id_username').autocomplete") == "username"
    assert page.evaluate("document.getElementById('id_password').autocomplete") == "current-password"
    page.evaluate(
        "document.getElementById('id_username').value = 'nobody';"
        "document.getElementById('id_password').value = 'wrong-password';"
        "document.querySelector('main form').submit()"
    )
    page.wait_for("!!document.getElementById('form-errors')", timeout=10.0)
    page.wait_for("document.readyState === 'complete'")
    assert page.evaluate("document.getElementById('id_username').getAttribute('aria-invalid')") == "true"
    assert (
        page.evaluate("document.getElementById('id_password').getAttribute('aria-describedby')")
        == "form-errors"
    )
    assert page.evaluate("document.activeElement.id") == "id_username"
    assert axe.violations(page) == []
    page.screenshot(SHOTS / "ui-login-error.png", full_page=False)


def test_large_text_toggle_states_what_it_does(page, live_server):
    _open(page, live_server, None, "/")
    button = "document.querySelector('button[name=elder_mode]')"
    assert page.evaluate(f"{button}.textContent.trim()") == "大字模式"
    assert page.evaluate(f"{button}.getAttribute('aria-pressed')") == "false"
    page.set_cookie("zt_elder", "1", live_server.url)
    page.goto(live_server.url + "/")
    assert page.evaluate(f"{button}.textContent.trim()") == "大字模式"
    assert page.evaluate(f"{button}.getAttribute('aria-pressed')") == "true"
    # The focus ring: a near-black outline (at least 3:1 against white and the panels).
    page.call("Emulation.setFocusEmulationEnabled", enabled=True)
    page.evaluate("document.querySelector('main a, main button').focus()")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineColor") == "rgb(11, 12, 12)"
