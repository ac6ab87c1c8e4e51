"""Headless-Chromium walk-through of the leaders' cockpit on a running demo server, with
screenshots: the province, county and township cockpits for their leaders, a drill-down from the
province (a region's link in the map's table), the wall mode, the alerts (on the county page and in
the supervisor's inbox), a refused other county, and the PDF briefing rendered with pdftoppm.

    DATABASE_URL=sqlite:///var/dev.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:///var/dev.sqlite3 .venv/bin/python manage.py runserver 127.0.0.1:8113
    .venv/bin/python scripts/cockpit_walkthrough.py http://127.0.0.1:8113 var/cockpit-shots
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhengtong.portal.tests.cdp import Browser  # noqa: E402

PASSWORD = "Zt-demo-2025"  # the demo accounts' password (registry.demo.DEMO_PASSWORD)


class Walk:
    def __init__(self, page, base: str, shots: Path):
        self.page, self.base, self.shots = page, base, shots

    def shot(self, name: str) -> None:
        self.page.screenshot(self.shots / f"{name}.png")
        print("shot", name)

    def goto(self, path: str) -> int:
        response = self.page.goto(self.base + path)
        # Charts draw after load: give ECharts a moment.
        self.page.wait_for("document.readyState === 'complete'", timeout=60)
        self.page.evaluate("new Promise(r => setTimeout(r, 1500))")
        return int(response.get("status", 0))

    def login(self, username: str) -> None:
        self.page.clear_cookies()
        self.page.set_cookie("zt_lang", "zh-hans", self.base)
        self.goto("/login/")
        for selector, value in {"input[name=username]": username, "input[name=password]": PASSWORD}.items():
            self.page.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")
        self.page.evaluate("document.querySelector('main form button[type=submit]').click()")
        self.page.wait_event("Page.loadEventFired", timeout=120)

    def fetch_bytes(self, path: str) -> bytes:
        data = self.page.evaluate(
            f"fetch({json.dumps(self.base + path)}, {{credentials: 'same-origin'}})"
            ".then(r => r.arrayBuffer()).then(b => { let s = ''; const a = new Uint8Array(b);"
            " for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); })"
        )
        return base64.b64decode(data)


def main(base: str, shots: Path) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    with Browser.launch(width=1440, height=1200) as browser:
        page = browser.page()
        for domain in ("Page", "Network", "Runtime"):
            page.call(f"{domain}.enable")
        w = Walk(page, base, shots)

        w.login("zj_leader")
        assert w.goto("/cockpit/330000/") == 200
        w.shot("01-province")
        # Drill down: the first region link of the map's table alternative (a city), then a county.
        for step in ("02-drilldown-city", "03-drilldown-county"):
            href = page.evaluate(
                "(() => { const a = [...document.querySelectorAll('main table a')].find(a => {"
                " const u = new URL(a.href); return /^\\/cockpit\\/\\d+\\/$/.test(u.pathname)"
                " && u.pathname !== location.pathname; }); return a ? a.getAttribute('href') : null; })()"
            )
            assert href, "no region link to drill into"
            assert w.goto(href) == 200, href
            w.shot(step)
        assert w.goto("/cockpit/330106002/records/?indicator=grid.received") == 200
        w.shot("04-drillthrough-records")

        w.login("xihu_leader")
        assert w.goto("/cockpit/330106/") == 200
        w.shot("05-county")
        assert w.goto("/cockpit/330106/wall/") == 200
        page.evaluate("new Promise(r => setTimeout(r, 3000))")
        w.shot("06-wall")
        status = w.goto("/cockpit/330782/")
        print("xihu_leader on 义乌市:", status)
        assert status == 403
        w.shot("07-other-county-refused")
        pdf = w.fetch_bytes("/cockpit/330106/briefing.pdf?days=30")
        assert pdf.startswith(b"%PDF"), pdf[:40]
        (shots / "briefing.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", str(shots / "briefing.pdf"), str(shots / "08-briefing")],
            check=True,
        )

        w.login("beishan_leader")
        assert w.goto("/cockpit/330106002/") == 200
        w.shot("09-township")

        w.login("xihu_supervisor")
        assert w.goto("/messages/") == 200
        w.shot("10-alert-inbox")
        page.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
