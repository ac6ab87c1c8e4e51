"""The check that a resource's openness does not exceed what its grade allows. The grade and
openness rules themselves are privacy's (``zhengtong.privacy.grades``); the catalogue asks them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhengtong.catalog.errors import CatalogError
from zhengtong.catalog.models import Openness
from zhengtong.core.errors import ValidationError
from zhengtong.privacy.grades import grade_max, max_openness, openness_within, public_grade

__all__ = ["_check_openness", "grade_max", "max_openness", "public_grade"]


def _check_openness(openness: str, grade: str) -> None:
    if not openness_within(openness, grade):
        allowed = max_openness(grade)
        raise ValidationError.for_field(
            "openness",
            _("a resource graded %(grade)s may be at most “%(allowed)s”")
            % {"grade": grade, "allowed": Openness(allowed).label},
            code=CatalogError.OPENNESS_EXCEEDS_GRADE,
        )
