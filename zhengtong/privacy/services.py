"""Staff-facing operations of the privacy module: permission-checked, never returning raw values.

Logs carry counts and kinds only, never the text or an identifier.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.errors import ValidationError
from zhengtong.privacy.classify import CATEGORY_LABELS, classify_table
from zhengtong.privacy.desensitize import apply_value, default_policy
from zhengtong.privacy.detectors import scan_text_with_findings
from zhengtong.privacy.grades import gb_level, max_openness

log = logging.getLogger(__name__)

KIND_LABELS = CATEGORY_LABELS

MAX_FIELDS = 500
MAX_ROWS = 1000


def scan(*, actor: Any, text: str) -> dict:
    """Mask every identifier in ``text``; findings carry the masked value only."""
    ensure_can(actor, "privacy.use")
    if not isinstance(text, str):
        raise ValidationError.for_field("text", _("must be text"))
    limit = settings.PRIVACY_SCAN_MAX_CHARS
    if len(text) > limit:
        raise ValidationError.for_field(
            "text",
            _("is %(n)s characters long; at most %(max)s are accepted") % {"n": len(text), "max": limit},
        )
    masked, findings = scan_text_with_findings(text)
    counts = Counter(f.kind for f in findings)
    log.info(
        "privacy scan by user %s: %d characters, %d findings %s",
        getattr(actor, "pk", None),
        len(text),
        len(findings),
        dict(counts),
    )
    return {
        "masked": masked,
        "findings": [
            {
                "kind": f.kind,
                "label": str(KIND_LABELS[f.kind]),
                "start": f.start,
                "end": f.end,
                "masked": f.masked,
                "valid": f.valid,
                "suspected": not f.valid,
            }
            for f in findings
        ],
        "counts": dict(counts),
    }


def classify(*, actor: Any, fields: list[str], rows: list[dict]) -> list[dict]:
    """Suggest category, grade, openness and default policy for each field from sample rows.

    Each suggestion carries an example value after the default policy (never a raw value).
    """
    ensure_can(actor, "privacy.use")
    if not fields:
        raise ValidationError.for_field("fields", _("name at least one field"))
    if len(fields) > MAX_FIELDS:
        raise ValidationError.for_field("fields", _("at most %(max)s fields") % {"max": MAX_FIELDS})
    if len(set(fields)) != len(fields):
        raise ValidationError.for_field("fields", _("field names must be unique"))
    if len(rows) > MAX_ROWS:
        raise ValidationError.for_field("rows", _("at most %(max)s sample rows") % {"max": MAX_ROWS})
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValidationError.for_field(f"rows.{index}", _("each sample row must be an object"))
    result = classify_table(fields, rows)
    out = []
    for field in fields:
        column_class = result[field]
        policy = default_policy(column_class)
        example = next((row.get(field) for row in rows if row.get(field) not in (None, "")), None)
        if example is not None:
            shown = apply_value(example, policy if policy["op"] != "keep" else {"op": "scan"})
            example = None if shown is None else str(shown)
        out.append(
            {
                "name": field,
                "category": column_class.category,
                "category_label": str(CATEGORY_LABELS[column_class.category]),
                "grade": column_class.grade,
                "gb_level": gb_level(column_class.grade),
                "max_openness": max_openness(column_class.grade),
                "confidence": column_class.confidence,
                "reason": column_class.reason,
                "policy": policy,
                "example": example,
            }
        )
    log.info(
        "privacy classify by user %s: %d fields, %d rows", getattr(actor, "pk", None), len(fields), len(rows)
    )
    return out
