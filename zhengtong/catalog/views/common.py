"""What the catalogue's pages share: the schema table of a version."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def _schema_rows(version) -> list[dict[str, Any]]:
    """One dict per field; ``label`` is its title in the page's language (the English title on
    English pages when there is one, else the Chinese title), ``other_title`` the other one."""
    english = (get_language() or "").startswith("en")
    rows = []
    for f in version.fields if version else []:
        policy = f.get("policy") or {"op": "keep"}
        title = f.get("title") or ""
        title_en = f.get("title_en") or ""
        label, other = (title_en, title) if (english and title_en) else (title, title_en)
        rows.append(
            {
                "name": f["name"],
                "title": title,
                "title_en": title_en,
                "label": "" if label == f["name"] else label,
                "other_title": "" if other in (f["name"], label) else other,
                "description": f.get("description") or "",
                "description_en": f.get("description_en") or "",
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
