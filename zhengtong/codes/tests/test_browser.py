"""Codes pages in headless Chromium: the citizen's code, the risk map (ECharts + slider) and the
in-browser verifier (WebCrypto). Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from zhengtong.portal.tests import axe
from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]

SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def page(live_server):
    with Browser.launch() as chromium:
        p = chromium.page()
        yield p
        p.close()


def _login(page, user, live_server):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page.set_cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
    )


@pytest.mark.django_db(transaction=True)
def test_code_map_and_browser_verifier(codes, page, live_server):
    from zhengtong.accounts.models import User
    from zhengtong.codes import demo, services

    demo.seed()
    user = User.objects.get(pk=codes.world.citizen.pk)
    user.resident_id = codes.person.resident_id
    user.save()
    page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
    _login(page, user, live_server)
    assert page.goto(live_server.url + "/codes/").get("status") == 200
    assert page.evaluate("document.querySelectorAll('.code-card svg').length") >= 1
    page.screenshot(SHOTS / "codes-my-code.png")

    assert page.goto(live_server.url + "/codes/map/").get("status") == 200
    page.wait_for("document.getElementById('risk-map').getAttribute('data-chart-ready') === '1'", timeout=15)
    page.wait_for("document.querySelectorAll('#risk-map path.leaflet-interactive').length > 80", timeout=15)
    assert page.csp_violations() == []
    assert axe.violations(page) == []
    page.screenshot(SHOTS / "codes-risk-map.png")

    code = services.issue(subject=codes.subject, purpose=codes.purpose).code
    assert page.goto(live_server.url + "/codes/verify/").get("status") == 200
    page.evaluate(f"document.getElementById('code-text').value = {code!r}")
    page.evaluate("document.getElementById('offline').checked = true")
    page.evaluate("document.getElementById('verify-form').requestSubmit()")
    page.wait_for("!document.getElementById('verify-result').hidden", timeout=15)
    shown = page.evaluate("document.getElementById('verify-result').innerText")
    assert "ok" in shown and "330000" in shown, shown
    assert page.csp_violations() == []  # WebCrypto verification under the Content-Security-Policy
    page.screenshot(SHOTS / "codes-verify.png")
    # a tampered code is rejected in the browser too
    bad = code[:-6] + ("A" if code[-6] != "A" else "B") + code[-5:]
    page.evaluate(f"document.getElementById('code-text').value = {bad!r}")
    page.evaluate("document.getElementById('verify-form').requestSubmit()")
    page.wait_for("document.getElementById('verify-result').innerText.indexOf('ok') < 0", timeout=15)
