"""Data grades and openness: the one place their rules live.

A grade is a Zhejiang level L1-L4 (DB33/T 2351; GB/T 43697-2024 一般数据 levels 1-4,
shared/reference/datasec.md). An openness is how a dataset is served: ``closed`` (不予开放),
``conditional`` (有条件开放) or ``unconditional`` (无条件开放). A grade caps the openness of a dataset
holding a raw field of that grade. The catalogue asks these functions; nothing else keeps a table.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "GB_LEVEL",
    "GRADES",
    "OPENNESS",
    "gb_level",
    "grade_max",
    "max_openness",
    "openness_allowed",
    "openness_rank",
    "openness_within",
    "public_grade",
]

GRADES: tuple[str, ...] = ("L1", "L2", "L3", "L4")  # least to most sensitive
OPENNESS: tuple[str, ...] = ("closed", "conditional", "unconditional")  # least to most open

# Zhejiang level -> the most open openness a dataset holding such a raw field may have.
_MAX_OPENNESS: dict[str, str] = {
    "L1": "unconditional",  # 不敏感: 无条件开放
    "L2": "conditional",  # 低敏感: 受限 / 有条件开放, desensitized
    "L3": "conditional",  # 较敏感: 受限 / 有条件开放, desensitized
    "L4": "closed",  # 敏感: 不予开放
}

# Zhejiang level -> GB/T 43697-2024 level of 一般数据.
GB_LEVEL: dict[str, str] = {
    "L1": "一般数据1级",
    "L2": "一般数据2级",
    "L3": "一般数据3级",
    "L4": "一般数据4级",
}


def openness_rank(openness: str) -> int:
    """0 for ``closed``, 1 for ``conditional``, 2 for ``unconditional``: higher is more open.
    An unknown openness raises ``ValueError``."""
    return OPENNESS.index(openness)


def max_openness(grade: str) -> str:
    """The most open openness a grade allows; an unknown grade allows only ``closed``."""
    return _MAX_OPENNESS.get(grade, "closed")


def openness_within(openness: str, grade: str) -> bool:
    """Whether a dataset holding a raw field of ``grade`` may be served with ``openness``."""
    return openness_rank(openness) <= openness_rank(max_openness(grade))


def openness_allowed(grade: str) -> tuple[str, ...]:
    """Every openness a grade allows, least open first."""
    return OPENNESS[: openness_rank(max_openness(grade)) + 1]


def grade_max(grades: Iterable[str]) -> str:
    """The most sensitive of ``grades`` (values that are not grades are ignored); L1 if none."""
    present = [g for g in grades if g in GRADES]
    return max(present, key=GRADES.index) if present else "L1"


def public_grade(grade: str, policy: dict) -> str:
    """The grade of what a field releases after its desensitization policy: a kept field keeps its
    grade; a pseudonym is still personal data (at most L2); masked, generalized, rounded, scanned or
    suppressed values are treated as not sensitive (L1)."""
    op = (policy or {}).get("op", "keep")
    if op == "keep":
        return grade
    if op == "pseudonymize":
        return min(grade, "L2", key=GRADES.index) if grade in GRADES else "L2"
    return "L1"


def gb_level(grade: str) -> str:
    """The GB/T 43697-2024 level of 一般数据 for a Zhejiang grade."""
    return GB_LEVEL[grade]
