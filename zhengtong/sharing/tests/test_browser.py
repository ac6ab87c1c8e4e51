"""The acceptance walk-through in headless Chromium (screenshots in var/screenshots/sharing-*.png):
西湖区市场监督管理局 requests the population registry's identity verification for its
individual-business registration; the owner (西湖区公安分局) and the data security officer
approve; a citizen applies for that service and the materials check uses the verification; the
exchange appears on the owner's usage page with the case number; its receipt verifies with the
independent script and the published keys."""

from __future__ import annotations

import json
import subprocess
import sys
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

SHOTS = Path(settings.VAR_DIR) / "screenshots"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def page():
    with Browser.launch(height=1400) as chromium:
        p = chromium.page()
        yield p
        p.close()


class Walk:
    def __init__(self, page, live_server):
        self.page, self.url = page, live_server.url

    def login(self, user):
        self.page.clear_cookies()
        self.page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", self.url)
        client = Client()
        client.force_login(user)
        self.page.set_cookie(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, self.url
        )

    def go(self, path):
        response = self.page.goto(self.url + path)
        assert response.get("status") == 200, (path, response.get("status"))

    def js(self, expression):
        return self.page.evaluate(expression)

    def click(self, selector):
        self.page.events.clear()
        self.js(f"document.querySelector({selector!r}).click()")
        self.page.wait_event("Page.loadEventFired")

    def fill(self, selector, value):
        self.js(f"document.querySelector({selector!r}).value = {value!r}")

    def shot(self, name):
        self.page.screenshot(SHOTS / f"sharing-{name}.png")

    def text(self):
        return self.js("document.body.innerText")


def test_request_approve_apply_usage_and_receipt(page, live_server, world, tmp_path):
    import datetime as dt

    from django.utils import timezone

    from zhengtong.services.models import Case
    from zhengtong.services.tests.conftest import Svc
    from zhengtong.sharing.models import Exchange, SharingRequest
    from zhengtong.sharing.tests.conftest import Shr

    svc, shr = Svc(world), Shr(world, person=False)
    w = Walk(page, live_server)
    # 1. 西湖区市场监督管理局 asks for identity verification against the population registry.
    w.login(shr.consumer)
    w.go(f"/sharing/sources/{shr.profile.pk}/")
    for name in ("resident_id", "name"):
        w.js(f"document.querySelector('input[name=\"r-fields_\"][value={name}]').checked = true")
    w.fill("#id_r-purpose", "个体工商户注册登记：核验经营者身份与户籍信息")
    w.fill("#id_r-legal_basis", "《促进个体工商户发展条例》")
    w.fill("#id_r-mode", "verification")
    w.fill("#id_r-valid_until", (timezone.localdate() + dt.timedelta(days=365)).isoformat())
    w.fill("#id_r-service_item_code", "ZJ-SCJG-004")
    w.shot("1-request-form")
    w.click("button.primary[type=submit]:last-of-type, form:last-of-type button.primary")
    request = SharingRequest.objects.get()
    assert w.js("location.pathname") == f"/sharing/requests/{request.pk}/"
    w.shot("2-request-sent")
    # 2. The owner approves (L3: the data security officer approves too).
    w.login(shr.owner)
    w.go("/sharing/requests/decide/")
    assert "西湖区市场监督管理局" in w.text()
    w.shot("3-owner-queue")
    w.go(f"/sharing/requests/{request.pk}/")
    w.click("button[value=approve]")
    w.login(shr.officer)
    w.go(f"/sharing/requests/{request.pk}/")
    w.click("button[value=approve]")
    request.refresh_from_db()
    assert request.state == "approved"
    w.shot("4-approved")
    # 3. A citizen applies; the household-record material is confirmed through the grant.
    w.login(svc.citizen)
    w.go("/services/items/ZJ-SCJG-004/apply/")
    w.fill("#f_shop_name", "张记小吃")
    w.fill("#f_premises", "西湖区文三路1号")
    w.click("button[value=submit]")
    case = Case.objects.get()
    exchange = Exchange.objects.get(on_behalf_of=case.number)
    assert case.materials["hukou"]["exchange"] == str(exchange.receipt_id) and exchange.outcome == "ok"
    w.shot("5-case-submitted")
    # 4. The owner sees who used the data, for which case.
    w.login(shr.owner)
    w.go(f"/sharing/usage/?case={case.number}")
    assert case.number in w.text() and "西湖区市场监督管理局" in w.text()
    w.shot("6-owner-usage")
    w.go(f"/sharing/grants/{request.grant.pk}/")
    w.shot("7-grant-log")
    # 5. The receipt verifies with the independent script and the published keys.
    client = Client()
    client.force_login(shr.consumer)
    (tmp_path / "receipt.json").write_bytes(
        client.get(f"/sharing/receipts/{exchange.receipt_id}.json").content
    )
    (tmp_path / "keys.json").write_text(json.dumps(Client().get("/seals/keys.json").json()))
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_receipt.py"), str(tmp_path / "receipt.json"), str(tmp_path / "keys.json")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("VALID"), done.stdout + done.stderr
