"""Walk-throughs in headless Chromium (screenshots in var/screenshots/services-auto-*.png): a 秒批
case completing without a person; a 免申即享 proposal confirmed by the citizen; the e-licence in the
wallet, its sealed PDF rendered with pdftoppm and verified by scripts/verify_sealed_pdf.py; 亮证
verified by a third party on a 390 px page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from zhengtong.core import outbox
from zhengtong.portal.tests.cdp import Browser, find_chromium
from zhengtong.services import services
from zhengtong.services.services import wallet
from zhengtong.services.tests.test_autodecide import RULES, _item
from zhengtong.services.tests.test_browser import Walk
from zhengtong.services.tests.test_eligibility import _benefit

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


def _shot(w, name):
    w.page.screenshot(SHOTS / f"services-auto-{name}.png")


def test_miaopi_case_completes_without_a_person_and_the_licence_is_shown(page, live_server, svc):
    from zhengtong.services.models import Case

    item = _item(svc)
    services.autodecide.decision_rules_publish(actor=svc.world.system, item=item, rules=RULES)
    w = Walk(page, live_server)
    w.login(svc.citizen)
    w.go(f"/services/items/{item.code}/apply/")
    w.click("button[value=submit]")
    case = Case.objects.get()
    assert (case.state, w.path()) == ("completed", f"/services/my/{case.pk}/")
    text = w.js("document.body.innerText")
    assert "年满16周岁" in text and case.number in text
    _shot(w, "miaopi-case")
    # the sealed decision and e-licence, made after the commit
    outbox.deliver_pending(topic="services.notice")
    outbox.deliver_pending(topic=wallet.FILE_TOPIC)
    w.go("/services/wallet/")
    assert case.number in w.js("document.body.innerText")
    _shot(w, "wallet")
    licence = case.licence
    document = wallet.licence_file(licence)
    client = Client()
    client.force_login(svc.citizen)
    pdf = client.get(f"/services/wallet/{licence.pk}/file.pdf").content
    path = SHOTS / "services-auto-licence.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(path),
                str(SHOTS / "services-auto-licence"),
            ],
            check=True,
        )
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts/verify_sealed_pdf.py"), live_server.url, document.code, str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    tampered = SHOTS / "services-auto-licence-tampered.pdf"
    tampered.write_bytes(
        pdf.replace(licence.number.encode(), b"0" * len(licence.number), 1)
        if licence.number.encode() in pdf
        else pdf[:-10] + b"%%EOF\n\n\n\n"
    )
    bad = subprocess.run(
        [sys.executable, str(ROOT / "scripts/verify_sealed_pdf.py"), live_server.url, document.code, str(tampered)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 1
    # 亮证: the holder shows it; a third party scans it on a phone
    w.go(f"/services/wallet/{licence.pk}/show/")
    assert w.js("document.querySelector('.qr svg') !== null") is True
    _shot(w, "show")
    url = w.js("document.querySelector('main a[href*=\"licences/verify\"]').href")
    w.page.clear_cookies()
    w.page.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
    try:
        response = w.page.goto(url)
        assert response.get("status") == 200
        text = w.js("document.body.innerText")
        assert licence.number in text and "张*" in text
        _shot(w, "verify-390")
        response = w.page.goto(url[:-6] + "AAAAAA")
        assert response.get("status") == 422
        _shot(w, "verify-390-bad")
    finally:
        w.page.call("Emulation.clearDeviceMetricsOverride")
    from zhengtong.services.models import LicenceUse

    assert LicenceUse.objects.filter(licence=licence, kind="verified").count() == 1


def test_mianshen_proposal_confirmed_by_the_citizen(page, live_server, svc):
    from zhengtong.services.models import Entitlement

    benefit = _benefit(svc)
    services.eligibility.eligibility_scan(benefit=benefit)
    w = Walk(page, live_server)
    w.login(svc.citizen)
    w.go("/services/benefits/")
    assert "年满30周岁" in w.js("document.body.innerText")
    _shot(w, "benefit-proposed")
    w.click("button[value=confirm]")
    mine = Entitlement.objects.get(person=svc.person)
    assert mine.state == "granted" and mine.case.state == "completed"
    assert mine.case.number in w.js("document.body.innerText")
    _shot(w, "benefit-granted")
    w.login(svc.citizen, lang="en")
    w.go(f"/services/my/{mine.case_id}/")
    _shot(w, "benefit-case-en")
