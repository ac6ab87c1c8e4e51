"""What the catalogue's pages share: domain errors on forms, and the schema table of a version."""

from __future__ import annotations

from typing import Any

from zhengtong.core.errors import ZhengtongError


def _form_errors(form, exc: ZhengtongError) -> None:
    fields = getattr(exc, "fields", {}) or {}
    placed = False
    for name, msgs in fields.items():
        key = name if name in form.fields else None
        for m in msgs:
            form.add_error(key, m)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


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
