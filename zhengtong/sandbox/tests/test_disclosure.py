"""Disclosure control on crafted answers (no database): the rules and their boundaries."""

from __future__ import annotations

import pytest

from zhengtong.sandbox import disclosure

FIELDS = [
    {"name": "uscc", "type": "string", "classification": {"category": "uscc"}},
    {"name": "district", "type": "string", "classification": {"category": "none"}},
    {"name": "capital", "type": "number", "classification": {"category": "none"}},
    {"name": "phone", "type": "string", "classification": {"category": "mobile"}},
]
RULES = {"min_cell": 10, "round_to": 5, "top1": 50, "top2": 85}


def _control(sql, rows, seen=None):
    plan = disclosure.plan(sql, FIELDS)
    return plan, disclosure.control(
        plan, [f"c{i}" for i in range(len(rows[0]))], rows, dataset_id=1, seen=seen or {}, **RULES
    )


def test_the_plan_counts_distinct_subjects_and_adds_dominance_helpers():
    plan = disclosure.plan("SELECT district, count(*) AS n, sum(capital) AS s FROM data GROUP BY 1", FIELDS)
    assert plan.subject == "uscc" and plan.columns == 3
    assert (plan.keys, plan.counts, plan.measures) == ([0], [1], [1, 2])
    assert "count(DISTINCT uscc) AS __sbx_n" in plan.sql
    assert plan.sql.count("max(capital, 2)") == 1 and plan.dominance == {2: [4]}
    assert "sum(CASE  WHEN ((capital != 0)) THEN (1) ELSE 0 END)" in plan.sql


def test_small_cells_are_dropped_and_counts_rounded():
    # columns: district, n, s | hidden: subjects, top-2, total, non-zero contributions
    rows = [
        ("西湖区", 9, 90.0, 9, [10.0, 10.0], 90.0, 9),
        ("滨江区", 10, 100.0, 10, [10.0, 10.0], 100.0, 10),
        ("上城区", 23, 230.0, 23, [10.0, 10.0], 230.0, 23),
    ]
    _plan, out = _control("SELECT district, count(*), sum(capital) FROM data GROUP BY 1", rows)
    assert out.rows == [["滨江区", 10, 100.0], ["上城区", 25, 230.0]]
    assert out.checks["small_cell"] == 1 and out.checks["shown"] == 2
    assert [key for key, _n in out.ledger] and [n for _key, n in out.ledger] == [10, 23]


@pytest.mark.parametrize(
    ("top", "total", "suppressed"),
    [
        ([50.0, 1.0], 100.0, False),  # exactly 50 %: allowed
        ([51.0, 1.0], 100.0, True),  # one contributor above 50 %
        ([45.0, 40.0], 100.0, False),  # two contributors 85 %: allowed
        ([45.0, 41.0], 100.0, True),  # two contributors above 85 %
        ([0.0, 0.0], 0.0, False),  # nothing to dominate
    ],
)
def test_dominance_boundaries(top, total, suppressed):
    rows = [("西湖区", 12, total, 12, top, total, 12), ("滨江区", 12, 100.0, 12, [10.0, 10.0], 100.0, 12)]
    _plan, out = _control("SELECT district, count(*), sum(capital) FROM data GROUP BY 1", rows)
    assert (out.rows[0][2] is None) is suppressed
    assert (out.flags[0][2] == "dominance") is suppressed
    assert out.rows[0][1] == 10  # the count of the cell is still shown, rounded


def test_small_counts_inside_a_large_cell_are_suppressed():
    sql = "SELECT district, count(*) FILTER (WHERE capital > 100) FROM data GROUP BY 1"
    _plan, out = _control(sql, [("西湖区", 3, 40), ("滨江区", 12, 40)])
    assert out.rows == [["西湖区", None], ["滨江区", 10]]
    assert out.flags[0][1] == "small_count"


def test_differencing_compares_cells_with_the_same_key():
    sql = "SELECT district, count(*) FROM data GROUP BY 1"
    plan = disclosure.plan(sql, FIELDS)
    key = disclosure.cell_key(1, plan.key_names, ["西湖区"], {})
    _plan, out = _control(sql, [("西湖区", 39, 39), ("滨江区", 50, 50)], seen={key: [40]})
    assert out.rows == [["西湖区", None], ["滨江区", 50]] and out.flags[0][1] == "differencing"
    _plan, out = _control(sql, [("西湖区", 30, 30), ("滨江区", 50, 50)], seen={key: [40]})
    assert out.rows[0] == ["西湖区", 30]  # differs by 10 or more: fine


def test_equality_filters_are_part_of_the_cell_key():
    grouped = disclosure.plan("SELECT district, count(*) FROM data GROUP BY 1", FIELDS)
    filtered = disclosure.plan("SELECT count(*) FROM data WHERE district = '西湖区' AND capital > 0", FIELDS)
    assert disclosure.cell_key(1, grouped.key_names, ["西湖区"], grouped.fixed) == disclosure.cell_key(
        1, filtered.key_names, [], filtered.fixed
    )


def test_nothing_left_is_a_refusal():
    with pytest.raises(disclosure.Refusal) as err:
        _control("SELECT district, count(*) FROM data GROUP BY 1", [("西湖区", 1, 1), ("滨江区", 2, 2)])
    assert err.value.rule == "singles_out"


def test_any_identifier_column_counts_not_only_the_subject():
    with pytest.raises(disclosure.Refusal) as err:
        disclosure.plan("SELECT count(*) FROM data WHERE phone = '13900000000'", FIELDS)
    assert err.value.rule == "singles_out" and "phone" in err.value.message


def test_a_count_hidden_in_a_sum_is_suppressed():
    sql = "SELECT district, sum(CASE WHEN capital > 1000 THEN 1 ELSE 0 END) AS big FROM data GROUP BY 1"
    # hidden: subjects, top-2, total, non-zero contributions
    rows = [
        ("西湖区", 3, 40, [1, 1], 3, 3),
        ("滨江区", 12, 40, [1, 1], 12, 12),
        ("上城区", 0, 40, [0, 0], 0, 0),
    ]
    _plan, out = _control(sql, rows)
    assert out.rows == [["西湖区", None], ["滨江区", 12], ["上城区", 0]]
    assert out.flags[0][1] == "small_count"
