"""The PII scanner page in headless Chromium: htmx posts the text, the masked result appears."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]

RID = "11010519491231002X"
TEXT = f"市民张三身份证{RID}，错号110105194912310021，手机13912345678，车牌浙A12345，邮箱zs@example.com。"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_scanner_masks_in_the_browser(world, live_server, lang):
    officer = world.staff(f"officer_{lang}", "data_officer", world.province)
    client = Client()
    client.force_login(officer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with Browser.launch() as chromium:
        page = chromium.page()
        page.set_language("zh-CN,zh" if lang == "zh-hans" else "en-US,en")
        page.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, live_server.url)
        page.set_cookie(settings.SESSION_COOKIE_NAME, session, live_server.url)
        response = page.goto(live_server.url + "/console/privacy/scanner/")
        assert response.get("status") == 200
        assert page.evaluate("document.querySelector('label[for=id_text]') !== null")
        page.evaluate(f"document.querySelector('#id_text').value = {json.dumps(TEXT)}")
        page.evaluate("document.querySelector('form[hx-post] button[type=submit]').click()")
        page.wait_for("document.querySelectorAll('#scan-result tbody tr').length === 5", timeout=10)
        body = page.evaluate("document.querySelector('#scan-result').innerText")
        assert RID not in body and "13912345678" not in body
        assert "110105********002X" in body and "139****5678" in body
        assert ("疑似" if lang == "zh-hans" else "suspected") in body
        shots = Path(settings.VAR_DIR) / "screenshots"
        page.screenshot(shots / f"privacy_scanner_{lang}.png", full_page=True)
        page.close()
