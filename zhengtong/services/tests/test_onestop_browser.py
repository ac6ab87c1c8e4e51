"""Walk-throughs in headless Chromium (screenshots in var/screenshots/services-onestop-*.png):

a counter clerk files for a walk-in citizen, who signs on the pad and rates the counter service on
site; a 告知承诺 case whose 核查 finds the commitment false and revokes the licence; a 跨省通办
transfer received at 义乌's counter for 西湖区, the result posted by the competent unit.
"""

from __future__ import annotations

import pytest

from zhengtong.portal.tests.cdp import Browser, find_chromium
from zhengtong.services.tests.test_browser import SHOTS, Walk
from zhengtong.services.tests.test_onestop import one  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]


@pytest.fixture(scope="module")
def page():
    with Browser.launch(width=1100, height=1400) as chromium:
        p = chromium.page()
        yield p
        p.close()


class OneStopWalk(Walk):
    def shot(self, name):
        self.page.screenshot(SHOTS / f"services-onestop-{name}.png")

    def sign(self):
        """Draw a stroke on the signature pad with pointer events, as a finger would."""
        self.js(
            """(() => { const pad = document.getElementById('signature-pad'); const r = pad.getBoundingClientRect();
            const ev = (t, x, y) => pad.dispatchEvent(new PointerEvent(t, {clientX: r.left + x, clientY: r.top + y, pointerId: 1, bubbles: true}));
            ev('pointerdown', 20, 90); for (let i = 0; i < 30; i++) ev('pointermove', 20 + i * 10, 90 - 40 * Math.sin(i / 3)); ev('pointerup', 320, 60); })()"""
        )


def test_counter_clerk_files_for_walk_in_citizen_who_signs_and_rates(page, live_server, one):  # noqa: F811
    from zhengtong.services.models import Case, Rating

    w = OneStopWalk(page, live_server)
    w.login(one.counter)
    w.go(f"/services/console/counter/?item=ZJ-SCJG-101&resident_id={one.citizen.resident_id}")
    assert "张*" in w.js("document.body.innerText")
    w.fill("#f_shop_name", "张记豆腐坊")
    w.js("document.querySelector('input[name=commit_health]').checked = true")
    w.js("document.querySelector('details.commitment').open = true")
    w.js("document.querySelector('input[name=confirmation][value=signature]').checked = true")
    w.js("document.querySelector('select[name=id_method]').value = 'face'")
    w.sign()
    assert w.js("document.getElementById('id_signature').value").startswith("data:image/png;base64,")
    w.shot("1-counter-form")
    w.click("#intake-form button[type=submit]")
    case = Case.objects.get()
    assert w.path() == f"/services/console/counter/{case.pk}/"
    assert (case.applicant, case.submitted_by, case.intake_channel) == (one.citizen, one.counter, "counter")
    assert case.intake.confirmation == "signature" and len(case.intake.signature_sha256) == 64
    assert case.intake.id_method == "face" and case.commitments.count() == 1
    w.shot("2-receipt")
    w.js("document.querySelector('input[name=score][value=\"5\"]').checked = true")
    w.click("#rating button[type=submit]")
    assert Rating.objects.get(case=case).score == 5
    w.shot("3-rated")
    # The citizen sees how the case was filed on their own page.
    w.login(one.citizen, lang="en")
    w.go(f"/services/my/{case.pk}/")
    assert "at a counter" in w.js("document.getElementById('onestop').innerText")
    w.shot("4-citizen-case-en")


def test_commitment_check_finds_false_and_revokes_licence(page, live_server, one):  # noqa: F811
    from zhengtong.credit import selectors as credit_selectors
    from zhengtong.services import services

    case = services.counter_file(
        actor=one.counter,
        item=one.item,
        resident_id=one.citizen.resident_id,
        id_document="resident_id_card",
        id_method="reader",
        raw={"shop_name": "张记"},
        files={},
        commit={"health"},
        confirmation="screen",
    )
    services.case_accept(actor=one.counter, case=case)
    services.case_approve(actor=one.reviewer, case=case)
    case.refresh_from_db()
    assert case.licence.state == "valid"
    w = OneStopWalk(page, live_server)
    w.login(one.reviewer)
    w.go("/services/console/checks/")
    assert case.number in w.js("document.body.innerText")
    w.js("document.querySelector('input[name=materials][value=health]').checked = true")
    w.fill("textarea[name=note]", "现场核查：两名从业人员无健康证明")
    w.shot("5-check")
    w.click("button[name=action][value=find_false]")
    case.refresh_from_db()
    assert case.state == "revoked" and case.licence.state == "revoked"
    assert credit_selectors.measures_for_person(one.person.resident_id).flagged
    w.go("/services/console/checks/?state=false")
    w.shot("6-check-false")
    w.go(f"/services/console/cases/{case.pk}/")
    assert "承诺不实" in w.js("document.body.innerText")
    w.shot("7-case-revoked")
    # The citizen can no longer commit: the field error names the rule.
    w.login(one.citizen)
    w.go("/services/items/ZJ-SCJG-101/apply/")
    w.fill("#f_shop_name", "再申请")
    w.js("document.querySelector('input[name=commit_health]').checked = true")
    w.click("button[name=action][value=submit]")
    assert "虚假承诺" in w.js("document.body.innerText")
    w.shot("8-excluded")


def test_cross_region_transfer(page, live_server, one):  # noqa: F811
    from zhengtong.services import services
    from zhengtong.services.models import Transfer

    services.item_set_tongban(actor=one.world.system, item=one.item, scope="province")
    w = OneStopWalk(page, live_server)
    w.login(one.yiwu_counter)
    w.go(f"/services/console/transfers/receive/?item=ZJ-SCJG-101&resident_id={one.citizen.resident_id}")
    w.fill("#f_shop_name", "异地坊")
    w.js("document.querySelector('input[name=commit_health]').checked = true")
    w.js("document.querySelector('input[name=delivery][value=post]').checked = true")
    w.fill("#id_postal_address", "浙江省义乌市稠城街道工人北路1号")
    w.js("document.querySelector('input[name=screen_confirmed]').checked = true")
    w.shot("9-receive")
    w.click("#intake-form button[type=submit]")
    transfer = Transfer.objects.get()
    assert transfer.number in w.js("document.body.innerText")
    w.shot("10-transfer-receipt")
    case = transfer.case
    services.case_accept(actor=one.counter, case=case)
    services.case_approve(actor=one.reviewer, case=case)
    w.login(one.counter, lang="en")
    w.go("/services/console/transfers/")
    w.fill(f"#id_pt_{transfer.pk}", "EA123456789CN")
    w.shot("11-competent-unit-en")
    w.click(f"#transfer-{transfer.pk} button[type=submit]")
    transfer.refresh_from_db()
    assert (transfer.state, transfer.post_tracking) == ("posted", "EA123456789CN")
    w.login(one.yiwu_counter)
    w.go("/services/console/transfers/")
    assert "EA123456789CN" in w.js("document.body.innerText")
    w.shot("12-receiving-counter")
