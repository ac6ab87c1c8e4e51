"""What the catalogue's pages share: the schema table of a version."""

from __future__ import annotations

from typing import Any


def _schema_rows(version) -> list[dict[str, Any]]:
    rows = []
    for f in version.fields if version else []:
        policy = f.get("policy") or {"op": "keep"}
        rows.append(
            {
                "name": f["name"],
                "title": f.get("title") or "",
                "type": f.get("type", "string"),
                "format": "" if f.get("format") in (None, "default") else f["format"],
                "category": (f.get("classification") or {}).get("category", "none"),
                "grade": f.get("grade", "L1"),
                "public_grade": f.get("public_grade", f.get("grade", "L1")),
                "policy": policy.get("op", "keep"),
                "policy_detail": ", ".join(f"{k}={v}" for k, v in policy.items() if k != "op"),
                "confirmed": bool(f.get("confirmed")),
                "required": bool((f.get("constraints") or {}).get("required")),
            }
        )
    return rows
