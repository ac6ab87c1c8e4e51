"""In headless Chromium: a citizen pays a bill (bill page → provider page → return page), the
inbox shows the receipt; staff see the work-order worklist. Screenshots in var/screenshots/."""

from __future__ import annotations

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

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture(scope="module")
def page():
    with Browser.launch() as chromium:
        p = chromium.page()
        yield p
        p.close()


def login(page, live_server, user) -> None:
    page.clear_cookies()
    page.set_language("zh-CN,zh")
    page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
    client = Client()
    client.force_login(user)
    page.set_cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
    )


def click_and_wait(page, selector: str, path_part: str) -> None:
    page.evaluate(f"document.querySelector({selector!r}).click()")
    page.wait_for(
        f"location.pathname.includes({path_part!r}) && document.readyState === 'complete'", timeout=10
    )


def test_citizen_pays_and_reads_the_receipt(page, live_server, pw):
    from zhengtong.payments import services

    bill = services.bill_create(
        actor=pw.xihu_counter,
        payer=pw.citizen,
        reference="case:77",
        org_unit=pw.xihu,
        department=pw.xihu_scjg,
        items=[("营业执照工本费", 1000), ("加急费", 2050)],
    )
    login(page, live_server, pw.citizen)
    page.goto(live_server.url + bill.pay_url)
    body = page.evaluate("document.body.innerText")
    assert "30.50" in body and "营业执照工本费" in body and "缴费" in body
    page.screenshot(SCREENSHOTS / "payments-bill.png", full_page=False)
    click_and_wait(page, "main form button[type=submit]", "/pay/provider/")
    assert "本地模拟支付机构" in page.evaluate("document.body.innerText")
    page.screenshot(SCREENSHOTS / "payments-provider.png", full_page=False)
    click_and_wait(page, "main form button[type=submit]", "/return/")
    page.wait_for("document.querySelector('#pay-status').innerText.includes('已缴费')", timeout=10)
    page.screenshot(SCREENSHOTS / "payments-return.png", full_page=False)
    bill.refresh_from_db()
    assert (bill.state, bill.paid_fen) == ("paid", 3050)
    page.goto(live_server.url + "/messages/")
    assert "已收到缴费" in page.evaluate("document.body.innerText")
    page.screenshot(SCREENSHOTS / "notify-inbox.png", full_page=False)


def test_staff_worklist_and_detail(page, live_server, pw):
    from zhengtong.workorders import services

    services.routing_rule_set(actor=pw.system, category="0701", region=pw.xihu, department=pw.xihu_scjg)
    order = services.work_order_open(
        actor=pw.citizen,
        requester=pw.citizen,
        kind="complaint",
        category="0701",
        title="超市出售过期牛奶",
        description="文三路某超市",
        region=pw.village,
    )
    login(page, live_server, pw.xihu_counter)
    page.goto(live_server.url + "/console/workorders/")
    assert "超市出售过期牛奶" in page.evaluate("document.body.innerText")
    page.screenshot(SCREENSHOTS / "workorders-worklist.png", full_page=False)
    page.goto(live_server.url + f"/console/workorders/{order.number}/")
    assert "开始办理" in page.evaluate("document.body.innerText")
    page.screenshot(SCREENSHOTS / "workorders-detail.png", full_page=False)
