"""The acceptance walk-through in headless Chromium (screenshots in var/screenshots/supervision-*.png):
a supervision manager creates a joint random inspection plan on the console, commits and draws
it; the public plan page shows the seed; an inspector records a finding on a phone-sized screen
(a violation: a penalty case opens); the manager publishes the results; the penalty case goes
through its steps with a hearing to a decision and service; the entity's credit grade changes;
the master record shows it all; a credit officer puts the entity on the black list on the lists
page. (The flag on the next service application, the repair request and the report PDF's
verification are covered by the server-side tests of credit and services, not by this walk.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]


@pytest.fixture(scope="module")
def page():
    with Browser.launch(height=1400) as chromium:
        p = chromium.page()
        # A shared machine at load 30 answers slowly: wait up to two minutes per DevTools call.
        p.timeout = 120.0
        p.ws.sock.settimeout(120.0)
        yield p
        p.close()


class Walk:
    def __init__(self, page, live_server, shots):
        self.page, self.url, self.shots = page, live_server.url, shots

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

    def submit(self, expression):
        """Run ``expression`` (which submits a form or clicks a button) and wait for the page."""
        self.page.events.clear()
        self.js(expression)
        self.page.wait_event("Page.loadEventFired")

    def click(self, selector):
        self.submit(f"document.querySelector({selector!r}).click()")

    def fill(self, selector, value):
        self.js(f"document.querySelector({selector!r}).value = {value!r}")

    def draw(self, selector):
        """Sign on a pad with real pointer input (mouse events through the DevTools protocol)."""
        self.js(f"document.querySelector({selector!r}).scrollIntoView({{block: 'center'}})")
        box = self.js(
            f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height]; })()"
        )
        left, top, width, height = box
        points = [(0.1, 0.7), (0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)]
        kinds = ["mousePressed"] + ["mouseMoved"] * (len(points) - 1)
        for kind, (fx, fy) in zip(kinds, points, strict=True):
            self.page.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=left + fx * width,
                y=top + fy * height,
                button="left",
                buttons=1,
                clickCount=1,
            )
        x, y = points[-1]
        self.page.call(
            "Input.dispatchMouseEvent", type="mouseReleased", x=left + x * width, y=top + y * height,
            button="left", buttons=0, clickCount=1,
        )  # fmt: skip

    def shot(self, name):
        self.page.screenshot(self.shots / f"supervision-{name}.png")

    def text(self):
        return self.js("document.body.innerText")


def test_joint_plan_inspection_penalty_credit_walk(page, live_server, sv, world):
    from pathlib import Path

    from zhengtong.credit import selectors as credit_selectors
    from zhengtong.supervision import services
    from zhengtong.supervision.models import Inspection, InspectionPlan, PenaltyCase

    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    world.acc.role_grant(
        actor=world.system,
        user=sv.manager,
        role="supervision_manager",
        org_unit=world.xihu,
        department=world.xihu_gaj,
    )
    for n in range(2):  # the joint department's officers
        services.officer_register(
            actor=sv.manager,
            department=world.xihu_gaj,
            number=f"3301069{n:03d}",
            name=f"公安执法员{n}",
            certificate_no=f"GA{n:05d}",
            certificate_valid_to=dt.date(2030, 1, 1),
        )
    w = Walk(page, live_server, shots)
    w.login(sv.manager)
    w.go("/console/supervision/")
    w.fill("#id_title", "2026年食品经营联合双随机抽查")
    w.fill("#id_region_prefix", "330106")
    w.fill("#id_inspectors_per_department", "1")
    w.fill("#id_permille_U", "100")  # 3 of the 30 test entities (not graded: stratum U)
    w.js(f"document.querySelector('#id_department').value = '{sv.xihu_scjg.pk}'")
    w.js(
        f"for (const o of document.querySelector('#id_joint').options) o.selected = o.value === '{world.xihu_gaj.pk}'"
    )
    w.js("for (const o of document.querySelector('#id_items').options) o.selected = o.value === 'SCJG-001'")
    w.submit("document.querySelector('#id_title').form.submit()")
    plan = InspectionPlan.objects.get()
    assert list(plan.joint_departments.all()) == [world.xihu_gaj]
    assert plan.permille == {"U": 100} and plan.filters == {"region_prefix": "330106"}
    w.go(f"/console/supervision/plans/{plan.number}/")
    w.click("button[value=commit]")
    w.click("button[value=draw]")
    plan.refresh_from_db()
    assert plan.state == "drawn" and plan.inspections.count() == 3
    w.shot("1-plan-drawn")
    w.go(f"/supervision/plans/{plan.number}/")
    assert plan.seed in w.text()
    w.shot("2-public-plan")

    inspection = Inspection.objects.filter(plan=plan).order_by("rank").first()
    entity = inspection.entity
    grade_before = credit_selectors.score_of(entity)
    officer = inspection.inspectors.filter(user__isnull=False).first()
    w.login(officer.user)
    w.page.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    try:
        w.go(f"/console/supervision/inspections/{inspection.pk}/")
        w.js("document.querySelector('input[name=check1][value=no]').checked = true")
        w.fill("input[name=note1]", "从业人员健康证明过期")
        w.fill("textarea[name=findings]", "两名从业人员健康证明过期，仍在岗位上")
        w.fill("select[name=result]", "penalty")
        w.fill("input[name=entity_signer]", "王五")
        w.draw("#pad-entity")
        w.draw("#pad-inspector")
        assert w.js("document.querySelector('#sig-entity').value").startswith("data:image/png;base64,")
        w.js("document.querySelector('#pad-inspector').scrollIntoView({block: 'center'})")
        w.shot("3-phone-inspection")
        w.submit("document.querySelector('textarea[name=findings]').form.submit()")
        assert w.js("document.documentElement.scrollWidth") <= 390
        w.shot("4-phone-recorded")
        assert w.js("[...document.querySelectorAll('figure.sig img')].every(i => i.naturalWidth === 600)")
    finally:
        w.page.call("Emulation.clearDeviceMetricsOverride")
    inspection.refresh_from_db()
    assert inspection.state == "recorded" and inspection.result == "penalty"

    w.login(sv.manager)
    w.go(f"/console/supervision/plans/{plan.number}/")
    w.click("button[value=publish]")
    inspection.refresh_from_db()
    assert inspection.state == "published"

    case = PenaltyCase.objects.get(inspection=inspection)
    for action in ("investigate", "notify", "request_hearing", "hold_hearing"):
        w.go(f"/console/supervision/penalties/{case.pk}/")
        w.submit(
            f"const f = document.querySelector('input[name=action][value={action}]').form;"
            f" if ('{action}' === 'hold_hearing') f.note.value = '当事人到场陈述申辩，听证笔录已签字'; f.submit()"
        )
        case.refresh_from_db()
        assert (
            case.state
            == {
                "investigate": "investigating",
                "notify": "notified",
                "request_hearing": "hearing",
                "hold_hearing": "heard",
            }[action]
        ), action
    w.go(f"/console/supervision/penalties/{case.pk}/")
    w.fill("input[name=decision_no]", "杭西市监罚〔2026〕18号")
    w.fill("select[name=penalty_kind]", "fine")
    w.fill("input[name=fine_yuan]", "5000")
    w.fill("input[name=legal_basis]", "《食品安全法》第一百二十六条")
    w.submit("document.querySelector('input[name=decision_no]').form.submit()")
    case.refresh_from_db()
    assert case.state == "decided", w.text()[:500]
    w.go(f"/console/supervision/penalties/{case.pk}/")
    w.submit("document.querySelector('input[name=action][value=serve]').form.submit()")
    case.refresh_from_db()
    assert case.state == "served"
    w.shot("5-penalty-served")

    after = credit_selectors.score_of(entity)
    assert after is not None and (grade_before is None or after.score < grade_before.score)
    w.go(f"/credit/entities/{entity.uscc}/")
    assert after.grade in w.text()
    w.shot("6-credit")
    w.go(f"/console/supervision/entities/{entity.uscc}/")
    assert "杭西市监罚〔2026〕18号" in w.text()
    w.shot("7-master-record")

    credit_officer = world.staff("hz_credit_walk", "credit_officer", world.xihu, world.xihu_scjg)
    w.login(credit_officer)
    w.go("/console/credit/lists/")
    w.fill("#id_kind", "black")
    w.fill("#id_uscc", entity.uscc)
    w.js(f"document.querySelector('#id_department').value = '{sv.xihu_scjg.pk}'")
    w.fill("#id_legal_basis", "《食品安全法》第一百三十四条")
    w.fill("#id_reason", "一年内累计三次受到罚款处罚")
    w.fill("#id_until", (dt.date.today() + dt.timedelta(days=365)).isoformat())
    w.submit("document.querySelector('#id_reason').form.submit()")
    assert credit_selectors.measures_for(entity.uscc).black_listed
    assert credit_selectors.score_of(entity).grade == "D"
    w.shot("8-black-list")


def test_listed_entity_flagged_repairs_and_verifies_its_report_walk(page, live_server, world, settings):
    """The rest of the acceptance walk: after its grade fell (a penalty 100 days ago), the
    entity's next service application is flagged to the counter clerk, its agent applies for
    credit repair and issues a sealed credit report that verifies at /seals/verify/."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhengtong.credit import selectors as credit_selectors
    from zhengtong.credit import services as credit
    from zhengtong.credit.models import CreditReport, RepairRequest
    from zhengtong.services import services as case_services
    from zhengtong.services.tests.conftest import Svc

    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    svc = Svc(world)
    world.acc.department_create(
        actor=world.system, org_unit=world.province, code="dsj", name="浙江省大数据发展管理局"
    )
    settings.CREDIT_REPORT_DEPARTMENT = "330000/dsj"
    for n in range(2):
        credit.credit_event_record(
            actor=None,
            via="supervision",
            entity=svc.entity,
            kind="penalty",
            source_ref=f"penalty:walk{n}",
            summary=f"杭西市监罚〔2026〕{n + 1}号 罚款",
            occurred_on=dt.date.today() - dt.timedelta(days=100 + n),
            severity=3,
        )
    grade = credit_selectors.score_of(svc.entity).grade
    assert grade in ("C", "D")
    case = case_services.case_submit(
        actor=svc.agent,
        item=svc.items["ZJ-SCJG-002"],
        raw={"premises": "西湖区文三路18号", "food_categories": "热食类", "area_sqm": "60"},
        files={
            "material_layout": SimpleUploadedFile(
                "plan.pdf", b"%PDF-1.4 plan", content_type="application/pdf"
            )
        },
    )
    w = Walk(page, live_server, shots)
    w.login(svc.counter)
    w.go(f"/services/console/cases/{case.pk}/")
    flags = w.js("document.querySelector('p.message[role=status]')?.innerText || ''")
    assert grade in flags, flags
    w.shot("9-flagged-application")

    w.login(svc.agent)
    w.go(f"/credit/entities/{svc.entity.uscc}/")
    w.js("document.querySelector('select[name=record]').value = 'penalty:walk0'")
    w.fill("textarea[name=reason]", "已足额缴纳罚款，完成整改并通过复查")
    w.js("document.querySelector('input[name=commitment]').checked = true")
    w.submit("document.querySelector('textarea[name=reason]').form.submit()")
    repair = RepairRequest.objects.get()
    assert (repair.entity_id, repair.state) == (svc.entity.pk, "submitted")
    w.shot("10-repair-requested")
    w.click("button[value=report]")
    report = CreditReport.objects.get()
    w.go(f"/seals/verify/{report.seal_code}/")
    assert w.js("document.querySelector('#verify-result h2').className") == "state-valid", w.text()[:400]
    w.shot("11-report-verified")


def test_platforms_page_seeds_a_plan_from_an_alert_walk(page, live_server, sv, settings):
    """平台数据监管: the platforms page shows the platform, its report and the alert it raised;
    seeding a targeted plan from the alert opens the new plan."""
    import json
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from django.utils import timezone

    from zhengtong.core import keys
    from zhengtong.supervision import services
    from zhengtong.supervision.models import InspectionPlan, SupervisionAlert

    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    private = keys.generate()
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    platform = services.platform_register(
        actor=sv.manager,
        entity=sv.entities[0],
        kind="ride_hailing",
        public_key_pem=pem,
        department=sv.xihu_scjg,
    )
    period = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    rows = [
        {
            "order_id": f"O{i}",
            "driver_licensed": i >= 3,
            "vehicle_licensed": True,
            "amount_fen": 1500,
            "complaint": False,
        }
        for i in range(40)
    ]
    body = json.dumps({"report_type": "ride_orders", "period": period, "rows": rows}).encode()
    services.platform_report_submit(
        uscc=platform.entity.uscc, body=body, signature=keys.b64url(keys.sign_es256(private, body))
    )
    w = Walk(page, live_server, shots)
    w.login(sv.manager)
    w.go("/console/supervision/platforms/")
    text = w.text()
    assert platform.kid in text and period in text and "order_id:str*" in text
    w.shot("12-platforms")
    w.submit("document.querySelector('form[action$=\"/targeted/\"]').submit()")
    plan = InspectionPlan.objects.get()
    assert SupervisionAlert.objects.get().plan_id == plan.pk and plan.filters == {
        "entities": [platform.entity.uscc]
    }
    assert plan.number in w.js("location.pathname")
