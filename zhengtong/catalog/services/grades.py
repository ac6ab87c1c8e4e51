"""Grades and openness of a resource: the grade a field releases after its policy, the highest
grade of a resource, and the check that its openness does not exceed what the grade allows."""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhengtong.catalog.errors import CatalogError
from zhengtong.catalog.models import GRADES, OPENNESS_RANK, Openness
from zhengtong.core.errors import ValidationError
from zhengtong.privacy.classify import GRADE_OPENNESS


def grade_max(grades) -> str:
    present = [g for g in grades if g in GRADES]
    return max(present, key=GRADES.index) if present else "L1"


def public_grade(grade: str, policy: dict) -> str:
    """The grade of what a field releases after its policy: a kept field keeps its grade; a
    pseudonym is still personal data (at most L2); masked, generalized, rounded, scanned or
    suppressed values are treated as not sensitive (L1)."""
    op = (policy or {}).get("op", "keep")
    if op == "keep":
        return grade
    if op == "pseudonymize":
        return grade_max([min(grade, "L2"), "L1"])
    return "L1"


def max_openness(grade: str) -> str:
    return GRADE_OPENNESS.get(grade, "closed")


def _check_openness(openness: str, grade: str) -> None:
    allowed = max_openness(grade)
    if OPENNESS_RANK[openness] > OPENNESS_RANK[allowed]:
        raise ValidationError.for_field(
            "openness",
            _("a resource graded %(grade)s may be at most “%(allowed)s”")
            % {"grade": grade, "allowed": Openness(allowed).label},
            code=CatalogError.OPENNESS_EXCEEDS_GRADE,
        )
