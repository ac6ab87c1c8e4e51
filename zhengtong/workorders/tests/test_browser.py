"""Walk-through in headless Chromium, screenshot in var/screenshots/workorders-categories.png:
the province's supervisor closes a 12345 category on the category page; the page then shows it
closed, in Chinese, with no accessibility violations; a new work order can no longer take it."""

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
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]
SHOTS = Path(settings.VAR_DIR) / "screenshots"


def test_province_supervisor_closes_a_category_on_the_page(live_server, world):
    from zhengtong.workorders import selectors

    supervisor = world.staff("prov_wo_supervisor", "supervisor", world.province)
    client = Client()
    client.force_login(supervisor)
    with Browser.launch(width=1280, height=900) as chromium:
        page = chromium.page()
        page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
        page.set_cookie(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
        )
        response = page.goto(live_server.url + "/console/workorders/categories/")
        assert response.get("status") == 200
        assert "商贸服务与消费者权益保护" in page.evaluate("document.body.innerText")
        page.evaluate(
            "document.querySelector('input[name=code][value=\"0701\"]').form.querySelector('button').click()"
        )
        page.wait_for(
            "document.readyState === 'complete' && !!document.querySelector('.message')", timeout=10.0
        )
        text = page.evaluate("document.body.innerText")
        assert "分类0701已停用" in text
        row = page.evaluate(
            "document.querySelector('input[name=code][value=\"0701\"]').closest('tr').innerText"
        )
        assert "已停用" in row and "启用" in row
        assert axe.violations(page) == []
        page.screenshot(SHOTS / "workorders-categories.png", full_page=True)
        page.close()
    assert "0701" not in selectors.category_codes()
