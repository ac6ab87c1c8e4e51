"""Headless-Chromium walk-through of open government on a running demo server, with screenshots:
a citizen files a request; the head of the disclosure office extends it once (sealed notice); the
officer attaches a DOCX and a PDF, redacts names, checks the redactions and replies "partly
disclosed" (sealed reply letter); the citizen publishes it; the annual report counts it; the
citizen comments on a draft and reads the summary of opinions of another; the officer opens a
new draft for comments and adds a power to the department's list through the console pages.
The redacted PDF is downloaded from the public page and rendered next to the original
(``pdftoppm``) into the screenshots directory.

    DATABASE_URL=sqlite:///var/dev.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:///var/dev.sqlite3 .venv/bin/python manage.py runserver 127.0.0.1:8105
    .venv/bin/python scripts/opengov_walkthrough.py http://127.0.0.1:8105 var/opengov-shots
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhengtong.portal.tests.cdp import Browser  # noqa: E402

PASSWORD = "Zt-demo-2025"  # the demo accounts' password (registry.demo.DEMO_PASSWORD)


def _decision_docx() -> str:
    d = docx.Document()
    d.add_heading("食品经营许可决定书", 1)
    p = d.add_paragraph()
    p.add_run("经营者王五，身份证号1101051949")
    p.add_run("1231002X，联系电话13912345678，经营场所西湖区文三路1号。")
    d.add_paragraph("经审查，准予许可，许可证编号JY13301060001。")
    out = io.BytesIO()
    d.save(out)
    path = Path(tempfile.mkdtemp()) / "decision.docx"
    path.write_bytes(out.getvalue())
    return str(path)


def _decision_pdf() -> str:
    """The same decision as a PDF laid out by the platform's renderer (the redaction must keep it)."""
    import os  # noqa: PLC0415 - Django is set up only for this one helper

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    import django  # noqa: PLC0415

    django.setup()
    from zhengtong.opengov.letters import render_plain_pdf  # noqa: PLC0415

    pdf = render_plain_pdf(
        "食品经营许可决定书",
        [
            "经营者王五，身份证号11010519491231002X，联系电话13912345678，经营场所西湖区文三路1号。",
            "经审查，申请材料齐全，符合法定形式，准予许可，许可证编号JY13301060001。",
            "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
        ],
    )
    path = Path(tempfile.mkdtemp()) / "decision.pdf"
    path.write_bytes(pdf)
    return str(path)


def _render(pdf: Path, out: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", str(pdf), str(out)], check=True)


class Walk:
    def __init__(self, page, base: str, shots: Path):
        self.page, self.base, self.shots = page, base, shots

    def load(self) -> None:
        self.page.wait_event("Page.loadEventFired", timeout=120)

    def shot(self, name: str) -> None:
        self.page.screenshot(self.shots / f"{name}.png")

    def fill_and_click(self, values: dict[str, str], button: str) -> None:
        for selector, value in values.items():
            self.page.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")
        self.page.evaluate(f"document.querySelector({json.dumps(button)}).click()")
        self.load()

    def login(self, username: str) -> None:
        self.page.clear_cookies()
        self.page.set_cookie("zt_lang", "zh-hans", self.base)
        self.page.goto(self.base + "/login/")
        self.fill_and_click(
            {"input[name=username]": username, "input[name=password]": PASSWORD},
            "main form button[type=submit]",
        )

    def action(self, action: str, values: dict[str, str] | None = None) -> None:
        sets = "".join(
            f"f.querySelector({json.dumps(k)}).value = {json.dumps(v)};" for k, v in (values or {}).items()
        )
        self.page.evaluate(
            f"(() => {{ const f = document.querySelector('input[name=action][value={action}]').form; {sets} "
            "f.querySelector('button[type=submit]').click(); })()"
        )
        self.load()


def main(base: str, shots: Path) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    with Browser.launch(width=1280, height=1400) as browser:
        page = browser.page()
        for domain in ("Page", "Network", "Runtime"):
            page.call(f"{domain}.enable")
        w = Walk(page, base, shots)
        w.login("citizen_zhang")
        page.goto(base + "/opengov/requests/new/")
        dept = page.evaluate(
            "[...document.querySelectorAll('#id_department option')]"
            ".find(o => o.text.includes('西湖区') && o.text.includes('市场监督')).value"
        )
        w.fill_and_click(
            {
                "#id_department": dept,
                "#id_description": "请公开西湖区2026年对文三路某餐饮店作出的食品经营许可决定书。",
            },
            "main form.panel button[type=submit]",
        )
        number = page.evaluate("document.querySelector('h1 .mono').textContent")
        w.shot("01-request-filed")
        w.login("xh_disclosure_head")
        page.goto(f"{base}/console/opengov/requests/{number}/")
        w.action("extend", {"textarea[name=note]": "需要调取窗口档案并征询经营者意见"})
        w.shot("02-extended-once")
        w.login("xh_disclosure")
        page.goto(f"{base}/console/opengov/requests/{number}/")
        page.set_files("#file", [_decision_docx()])
        page.evaluate("document.querySelector('#extra').value = '王五\\n文三路1号'")
        page.evaluate(
            "document.querySelector('input[name=action][value=add_document]').form.querySelector('button').click()"
        )
        w.load()
        page.set_files("#file", [pdf_path := _decision_pdf()])
        page.evaluate("document.querySelector('#extra').value = '王五\\n文三路1号'")
        page.evaluate(
            "document.querySelector('input[name=action][value=add_document]').form.querySelector('button').click()"
        )
        w.load()
        w.shot("03-redacted-awaiting-check")
        w.action("check")  # the DOCX
        w.action("check")  # the PDF
        w.action(
            "reply",
            {
                "select[name=reply_type]": "partly",
                "textarea[name=reply_text]": "现提供该许可决定书，其中经营者个人信息已作区分处理。",
                "textarea[name=legal_ground]": "《中华人民共和国政府信息公开条例》第十五条。",
            },
        )
        w.shot("04-replied-partly-sealed")
        w.login("citizen_zhang")
        page.goto(f"{base}/opengov/requests/mine/{number}/")
        w.action("publish")
        w.shot("05-citizen-published")
        page.clear_cookies()
        page.set_cookie("zt_lang", "zh-hans", base)
        page.goto(f"{base}/opengov/requests/{number}/")
        w.shot("06-public-request")
        pdf_links = page.evaluate(
            "[...document.querySelectorAll('main a')].map(a => a.href).filter(h => h.includes('/request-documents/'))"
        )
        for n, href in enumerate(pdf_links):
            body = urllib.request.urlopen(href).read()  # noqa: S310 - the demo server given on the command line
            if body.startswith(b"%PDF-"):
                (shots / "redacted.pdf").write_bytes(body)
                _render(Path(pdf_path), shots / "06b-original-pdf")
                _render(shots / "redacted.pdf", shots / "06c-redacted-pdf")
            print(f"published document {n}: {href} ({len(body)} bytes)")
        w.login("xh_disclosure")
        page.goto(base + "/console/opengov/reports/")
        page.evaluate("document.querySelector('#year').value = String(new Date().getFullYear())")
        page.evaluate("document.querySelector('main form.panel button').click()")
        w.load()
        w.shot("07-annual-report")
        w.login("citizen_zhang")
        page.goto(base + "/opengov/consultations/")
        links = page.evaluate("[...document.querySelectorAll('main li a')].map(a => [a.textContent, a.href])")
        page.goto(next(h for t, h in links if "夜间" in t))
        w.fill_and_click(
            {"textarea[name=body]": "建议第三条明确噪声限值的具体标准。"}, "textarea[name=body] ~ button"
        )
        w.shot("08-commented")
        page.goto(next(h for t, h in links if "农贸" in t))
        w.shot("09-summary-of-opinions")
        w.login("xh_disclosure")
        page.goto(base + "/console/opengov/consultations/new/")
        w.fill_and_click(
            {"#id_title": "西湖区共享单车停放管理办法（征求意见稿）", "#id_closes_on": "2020-01-01"},
            "main form.panel button[type=submit]",
        )
        w.shot("10-consultation-form-errors")
        w.fill_and_click(
            {
                "#id_introduction": "为规范共享单车停放，现公开征求意见。",
                "#id_opens_on": page.evaluate("new Date().toISOString().slice(0, 10)"),
                "#id_closes_on": page.evaluate(
                    "new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10)"
                ),
                "#id_rules": "不发布含人身攻击、广告或与本稿无关的内容；个人信息将被遮盖。",
                "#id_articles": "第一条 为规范共享单车停放秩序，制定本办法。\n\n第二条 本办法适用于西湖区行政区域。\n\n第三条 运营企业应当及时清理违规停放车辆。",
            },
            "main form.panel button[type=submit]",
        )
        w.shot("11-consultation-created")
        page.goto(base + "/console/opengov/powers/new/")
        w.fill_and_click(
            {
                "#id_code": "XK-330106-SCJG-9001",
                "#id_name": "小餐饮店登记",
                "#id_power_type": "licensing",
                "#id_legal_basis": "《浙江省食品小作坊小餐饮店小食杂店和食品摊贩管理规定》第十五条",
                "#id_responsible_unit": "西湖区市场监督管理局行政审批科",
                "#id_procedure": "申请、受理、审查、登记",
                "#id_life_events": "开办企业、餐饮",
            },
            "main form.panel button[type=submit]",
        )
        w.shot("12-powers-console")
        page.clear_cookies()
        page.set_cookie("zt_lang", "zh-hans", base)
        page.goto(base + "/opengov/powers/?life_event=餐饮")
        w.shot("13-powers-by-life-event")
        violations = page.csp_violations()
        print(f"walk-through done: request {number}; screenshots in {shots}; CSP violations: {violations}")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8105",
        Path(sys.argv[2] if len(sys.argv) > 2 else "var/opengov-shots"),
    )
