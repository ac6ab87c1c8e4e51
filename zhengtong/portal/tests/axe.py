"""axe-core (npm, ``node_modules/axe-core``) in the browser checks: WCAG 2.1 A and AA rules.

``violations(page)`` injects axe into the loaded page over the DevTools protocol (not through the
page, so the Content-Security-Policy stays as it is) and returns its violations as short dicts.
``make test`` installs node_modules (npm ci); a missing axe-core is a failure, not a skip.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    assert AXE.is_file(), f"{AXE} is missing: run npm ci (make setup)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    context = json.dumps({"exclude": [[s] for s in exclude]}) if exclude else "document"
    found = page.evaluate(
        f"axe.run({context}, {{runOnly: {{type: 'tag', values: {json.dumps(TAGS)}}}, resultTypes: ['violations']}})"
        ".then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160))}))))"
    )
    return json.loads(found)
