"""Walk-through in headless Chromium (screenshots in var/screenshots/services-*.png):

a citizen applies with auto-filled fields and no upload where an e-licence exists, pays on the
local payment provider's page, the counter accepts and asks for a correction, the citizen
corrects, the reviewer approves, the e-licence appears in the citizen's registry record, and the
citizen rates; then a 一件事 bundle: one combined form, submitted, and its combined status.
"""

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

SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture(scope="module")
def page():
    with Browser.launch(height=1400) as chromium:
        p = chromium.page()
        yield p
        p.close()


class Walk:
    def __init__(self, page, live_server):
        self.page = page
        self.url = live_server.url

    def login(self, user, lang="zh-hans"):
        self.page.clear_cookies()
        self.page.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, self.url)
        client = Client()
        client.force_login(user)
        self.page.set_cookie(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, self.url
        )

    def go(self, path):
        response = self.page.goto(self.url + path)
        assert response.get("status") in (200, 422), (path, response.get("status"))
        assert "Traceback" not in self.page.evaluate("document.body.innerText")

    def js(self, expression):
        return self.page.evaluate(expression)

    def click(self, selector):
        """Click and wait for the next page to load."""
        self.page.events.clear()
        self.js(f"document.querySelector({selector!r}).click()")
        self.page.wait_event("Page.loadEventFired")

    def fill(self, selector, value):
        self.js(
            f"(e => {{ e.value = {value!r}; e.dispatchEvent(new Event('input')); }})(document.querySelector({selector!r}))"
        )

    def shot(self, name):
        self.page.screenshot(SHOTS / f"services-{name}.png")

    def path(self):
        return self.js("location.pathname")


def test_citizen_applies_pays_corrects_gets_licence_and_rates(page, live_server, svc):
    from zhengtong.registry.models import Licence
    from zhengtong.services.models import Case, Rating

    w = Walk(page, live_server)
    w.login(svc.citizen)
    w.go("/services/items/ZJ-SCJG-001/apply/")
    # Auto-filled, read-only, with its source; the resident ID is masked on screen.
    assert w.js("document.querySelector('#f_applicant_name').value") == "张三"
    assert w.js("document.querySelector('#f_applicant_name').readOnly") is True
    assert "*" in w.js("document.querySelector('#f_resident_id').value")
    assert w.js("document.querySelector('#f_applicant_name_src').textContent").strip()
    # 一证通办: no file input for the ID card or the household record; only the optional report.
    assert w.js("[...document.querySelectorAll('input[type=file]')].map(e => e.name)") == ["material_health"]
    # Labels, and errors linked to their fields.
    assert w.js("document.querySelector('label[for=f_training_org]') !== null") is True
    w.click("button[value=submit]")
    assert w.js("document.querySelector('#f_training_org').getAttribute('aria-invalid')") == "true"
    assert "f_training_org_error" in w.js(
        "document.querySelector('#f_training_org').getAttribute('aria-describedby')"
    )
    w.shot("apply-errors")
    w.js("document.querySelector('#f_category').value = 'N1'")
    w.fill("#f_training_org", "杭州特种设备培训中心")
    w.fill("#f_work_years", "3")
    w.shot("apply-filled")
    w.click("button[value=submit]")
    case = Case.objects.get()
    assert w.path() == f"/services/my/{case.pk}/"
    assert case.data["applicant_name"] == "张三" and case.materials["id_card"]["by"] == "licence"
    w.shot("submitted-unpaid")
    # Pay on the local provider's page.
    w.click(".highlight a.button.primary")
    w.click("main form button[type=submit]")
    assert "/pay/provider/" in w.path()
    w.shot("provider-page")
    w.click("main form button[type=submit]")
    case.refresh_from_db()
    assert case.paid_at is not None

    # Counter staff: accept, then ask for a correction (all items at once).
    w.login(svc.counter)
    w.go("/services/console/")
    assert case.number in w.js("document.body.innerText")
    w.shot("worklist")
    w.go(f"/services/console/cases/{case.pk}/")
    w.click("button[value=accept]")
    case.refresh_from_db()
    assert case.state == "accepted"
    w.login(svc.reviewer)
    w.go(f"/services/console/cases/{case.pk}/")
    w.fill("#id_note", "培训信息需补正")
    w.fill("#id_items", "培训机构全称\n从业年限证明")
    w.click("button[value=send_back]")
    case.refresh_from_db()
    assert case.state == "correction_requested" and case.sla_state == "paused"

    # The citizen corrects.
    w.login(svc.citizen)
    w.go(f"/services/my/{case.pk}/")
    assert "培训机构全称" in w.js("document.body.innerText")
    w.shot("correction-requested")
    w.fill("#f_training_org", "杭州市特种设备安全技术培训中心")
    w.fill("#f_work_years", "5")
    w.click("button[value=resubmit]")
    case.refresh_from_db()
    assert case.state == "submitted" and case.data["work_years"] == 5

    # Staff accept again and approve: the e-licence is issued into the registry.
    w.login(svc.counter)
    w.go(f"/services/console/cases/{case.pk}/")
    w.click("button[value=accept]")
    w.login(svc.reviewer)
    w.go(f"/services/console/cases/{case.pk}/")
    w.fill("#id_rnote", "符合条件,同意")
    w.shot("review")
    w.click("button[value=approve]")
    case.refresh_from_db()
    assert case.state == "completed"
    licence = Licence.objects.get(number=case.number)
    assert licence.holder_person == svc.person

    # The e-licence is in the citizen's registry record (as registry staff see it).
    w.login(svc.world.xihu_viewer)
    w.go(f"/console/registry/persons/{svc.person.pk}/")
    assert case.number in w.js("document.body.innerText")
    w.shot("licence-in-registry")

    # The citizen sees the timeline with each step's time, and rates.
    w.login(svc.citizen)
    w.go(f"/services/my/{case.pk}/")
    assert w.js("document.querySelectorAll('.timeline li time').length") >= 8
    w.js("document.querySelector('input[name=score][value=\"5\"]').checked = true")
    w.js("document.querySelector('#id_sub_efficiency').value = '5'")
    w.shot("rate")
    w.click("button[value=rate]")
    assert Rating.objects.get(case=case).score == 5
    w.shot("rated")


def test_bundle_combined_form_and_status(page, live_server, svc):
    from zhengtong.services import demo
    from zhengtong.services.models import BundleApplication

    demo.publish_bundles(svc.world.xihu)
    w = Walk(page, live_server)
    w.login(svc.agent)
    w.go("/services/bundles/restaurant/")
    # The shared premises field is asked once for all parts.
    assert w.js("document.querySelectorAll('[name=premises]').length") == 1
    assert w.js("document.querySelectorAll('[name$=\".premises\"]').length") == 0
    w.fill("#f_premises", "西湖区文三路200号")
    w.fill("[name='ZJ-SCJG-003.business_scope']", "餐饮服务")
    w.js("document.querySelector(\"[name='ZJ-SCJG-002.food_categories']\").value = '热食类'")
    w.fill("[name='ZJ-SCJG-002.area_sqm']", "60")
    layout = SHOTS / "floor-plan.pdf"
    layout.parent.mkdir(parents=True, exist_ok=True)
    layout.write_bytes(b"%PDF-1.4 floor plan")
    page.set_files("input[name=material_layout]", [str(layout)])
    w.shot("bundle-form")
    w.click("button[value=submit]")
    app = BundleApplication.objects.get()
    assert w.path() == f"/services/my/bundles/{app.pk}/"
    rows = w.js("document.querySelectorAll('main tbody tr').length")
    assert rows == app.cases.count() >= 2
    w.shot("bundle-status")
