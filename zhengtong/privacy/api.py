"""Privacy API for staff holding privacy.use: scan text for identifiers, classify columns.

Responses never contain a raw identifier: findings carry masked values only.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema

from zhengtong.core.schemas import ERRORS
from zhengtong.privacy import services

router = Router(tags=["privacy"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = set()


class ScanIn(Schema):
    text: str


class FindingOut(Schema):
    kind: str
    label: str
    start: int
    end: int
    masked: str
    valid: bool
    suspected: bool


class ScanOut(Schema):
    masked: str
    findings: list[FindingOut]
    counts: dict[str, int]


class ClassifyIn(Schema):
    fields: list[str] = Field(..., min_length=1, max_length=services.MAX_FIELDS)
    rows: list[dict[str, Any]] = Field(default_factory=list, max_length=services.MAX_ROWS)


class FieldSuggestion(Schema):
    name: str
    category: str
    category_label: str
    grade: str
    gb_level: str
    max_openness: str
    confidence: float
    reason: str
    policy: dict[str, Any]
    example: str | None


class ClassifyOut(Schema):
    fields: list[FieldSuggestion]


@router.post("/scan", response={200: ScanOut, **ERRORS}, operation_id="privacy_scan")
def scan(request, payload: ScanIn):
    """Mask every personal identifier in a text (resident ID, USCC, phones, e-mail, cards, plates...).

    Findings give kind, position, the masked value and whether the check passed (``suspected`` when
    an identifier-shaped value fails its check). Raw values are never returned.
    """
    return services.scan(actor=request.auth, text=payload.text)


@router.post("/classify", response={200: ClassifyOut, **ERRORS}, operation_id="privacy_classify")
def classify(request, payload: ClassifyIn):
    """Suggest category, grade (L1-L4 / GB/T 43697 一般数据 level), openness and default policy per field."""
    return {"fields": services.classify(actor=request.auth, fields=payload.fields, rows=payload.rows)}
