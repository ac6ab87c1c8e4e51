"""Grade and openness rules (privacy.grades), the one table the catalogue asks."""

from __future__ import annotations

import pytest

from zhengtong.privacy import grades
from zhengtong.privacy.classify import CATEGORY_GRADE


def test_openness_rank_orders_least_to_most_open():
    assert [grades.openness_rank(o) for o in ("closed", "conditional", "unconditional")] == [0, 1, 2]
    with pytest.raises(ValueError):
        grades.openness_rank("half-open")


def test_max_openness_per_grade():
    assert {g: grades.max_openness(g) for g in grades.GRADES} == {
        "L1": "unconditional",
        "L2": "conditional",
        "L3": "conditional",
        "L4": "closed",
    }
    assert grades.max_openness("L9") == "closed"


def test_openness_allowed_lists_every_permitted_openness():
    assert grades.openness_allowed("L1") == ("closed", "conditional", "unconditional")
    assert grades.openness_allowed("L2") == ("closed", "conditional")
    assert grades.openness_allowed("L3") == ("closed", "conditional")
    assert grades.openness_allowed("L4") == ("closed",)
    assert grades.openness_allowed("") == ("closed",)


def test_openness_within():
    assert grades.openness_within("unconditional", "L1")
    assert not grades.openness_within("unconditional", "L3")
    assert grades.openness_within("conditional", "L3")
    assert not grades.openness_within("conditional", "L4")
    assert grades.openness_within("closed", "L4")
    for grade in grades.GRADES:
        for openness in grades.OPENNESS:
            assert grades.openness_within(openness, grade) == (openness in grades.openness_allowed(grade))


def test_grade_max_and_gb_level():
    assert grades.grade_max(["L2", "L4", "L1"]) == "L4"
    assert grades.grade_max(["L2", None, "x"]) == "L2"
    assert grades.grade_max([]) == "L1"
    assert grades.gb_level("L3") == "一般数据3级"


def test_public_grade_after_policy():
    assert grades.public_grade("L4", {"op": "keep"}) == "L4"
    assert grades.public_grade("L3", {}) == "L3"
    assert grades.public_grade("L4", {"op": "pseudonymize"}) == "L2"
    assert grades.public_grade("L1", {"op": "pseudonymize"}) == "L1"
    assert grades.public_grade("L4", {"op": "mask"}) == "L1"


def test_every_suggested_grade_is_a_grade():
    assert set(CATEGORY_GRADE.values()) == set(grades.GRADES)
