"""Headless-Chromium walk-through of data sharing between two installations, as `make run` serves
them (Zhejiang on 127.0.0.1:8000, the second installation 安徽省 on localhost:8001), with
screenshots: 西湖区市场监管局's counter requests verification against 蜀山区's population
registry on the other installation; 安徽省's owner and data security officer approve it on their
own pages; back in Zhejiang the request is checked, the key comes back, and a resident is
verified from the installation's page; 安徽省's "who uses my data" page shows the call.

    make run        # in another terminal
    .venv/bin/python scripts/sharing_peer_walkthrough.py http://127.0.0.1:8000 http://localhost:8001 var/peer-shots

The resident verified is 蜀山区's first registered resident, read from the second installation's
database (var/peer/) the way its registry clerk would look it up.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhengtong.portal.tests.cdp import Browser  # noqa: E402

PASSWORD = "Zt-demo-2025"  # the demo accounts' password (registry.demo.DEMO_PASSWORD)
PEER = "anhui-demo"


class Walk:
    def __init__(self, page, shots: Path):
        self.page, self.shots = page, shots

    def load(self) -> None:
        self.page.wait_event("Page.loadEventFired", timeout=120)

    def shot(self, name: str) -> None:
        self.page.screenshot(self.shots / f"{name}.png")
        print("screenshot", self.shots / f"{name}.png")

    def js(self, code: str):
        return self.page.evaluate(code)

    def submit(self, values: dict[str, str], button: str) -> None:
        for selector, value in values.items():
            self.js(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")
        self.js(f"document.querySelector({json.dumps(button)}).click()")
        self.load()

    def login(self, base: str, username: str) -> None:
        self.page.clear_cookies()
        self.page.set_cookie("zt_lang", "zh-hans", base)
        self.page.goto(base + "/login/")
        self.submit(
            {"input[name=username]": username, "input[name=password]": PASSWORD},
            "main form button[type=submit]",
        )


def main(main_base: str, peer_base: str, shots: Path) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(Path(__file__).resolve().parent.parent / "var" / "peer" / "zhengtong.sqlite3")
    resident_id, name = db.execute(
        "SELECT resident_id, name FROM registry_person WHERE resident_id LIKE '340104%' ORDER BY id LIMIT 1"
    ).fetchone()
    with Browser.launch(width=1280, height=1500) as browser:
        page = browser.page()
        for domain in ("Page", "Network", "Runtime"):
            page.call(f"{domain}.enable")
        w = Walk(page, shots)
        # 1. Zhejiang: the other installation's shared sources, and a request for verification.
        w.login(main_base, "xihu_counter")
        page.goto(f"{main_base}/sharing/peers/{PEER}/")
        w.shot("01-zj-peer-sources")
        link = w.js(
            "[...document.querySelectorAll('main table a')].find(a => a.href.includes('?source=')).href"
        )
        page.goto(link)
        w.js(
            "document.querySelectorAll('input[name=r-fields_]').forEach("
            "c => { c.checked = ['resident_id', 'name'].includes(c.value); })"
        )
        w.submit(
            {
                "#id_r-purpose": "跨省通办：个体工商户登记时核验安徽籍经营者身份",
                "#id_r-legal_basis": "《国务院办公厅关于加快推进政务服务“跨省通办”的指导意见》",
                "#id_r-mode": "verification",
            },
            "#req-h ~ form button[type=submit]",
        )
        w.shot("02-zj-request-sent")
        # 2. 安徽省: its owner, then its data security officer, approve on their own pages.
        for username, shot in (
            ("ah_clerk", "03-ah-owner-approves"),
            ("ah_data_officer", "04-ah-officer-approves"),
        ):
            w.login(peer_base, username)
            page.goto(f"{peer_base}/sharing/requests/decide/")
            detail = w.js(
                "([...document.querySelectorAll('main a')].find(a => /sharing\\/requests\\/\\d+\\/$/.test(a.href))"
                " || {}).href"
            )
            if not detail:
                raise SystemExit(f"{username}: nothing to decide")
            page.goto(detail)
            w.shot(shot)
            w.submit({"[name=note]": "同意，仅限核验"}, "button[name=action][value=approve]")
        # 3. Zhejiang: check the request (the key comes back, kept encrypted), then verify.
        w.login(main_base, "xihu_counter")
        page.goto(f"{main_base}/sharing/peers/")
        checks = w.js("document.querySelectorAll('input[name=do][value=check]').length")
        for i in range(checks):  # ask about every request of ours (a rerun leaves more than one)
            w.js(
                f"document.querySelectorAll('input[name=do][value=check]')[{i}].form.querySelector('button').click()"
            )
            w.load()
        w.shot("05-zj-key-kept")
        page.goto(f"{main_base}/sharing/peers/{PEER}/")
        w.submit(
            {
                "#id_v-s_resident_id": resident_id,
                "#id_v-s_name": name,
                "#id_v-on_behalf_of": "XH-KS-2026-0001",
            },
            "input[name=do][value=verify] ~ button[type=submit]",
        )
        w.shot("06-zj-verified")
        result = w.js("(document.querySelector('[role=status] dd strong') || {}).textContent")
        print("result:", result)
        # 4. 安徽省: the owner sees who used its data, for which case.
        w.login(peer_base, "ah_clerk")
        page.goto(f"{peer_base}/sharing/usage/")
        w.shot("07-ah-usage")
        if result != "一致":
            raise SystemExit(f"verification answered {result!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
