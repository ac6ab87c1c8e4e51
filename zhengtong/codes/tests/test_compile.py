"""The vectorised compiler agrees with the interpreter row by row."""

import datetime as dt

import numpy as np
import pytest

from zhengtong.codes import certlogic
from zhengtong.codes.compile import Column, CompileError, compile_rules, evaluate_columns, offset_ms
from zhengtong.codes.demo import HEALTH_RULES

CLOCK = "2024-03-01T08:00:00Z"


def _iso(ms):
    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(ms))).date().isoformat()


def random_columns(n, seed=7):
    rng = np.random.default_rng(seed)
    base = np.datetime64("2024-02-01").astype("datetime64[D]").astype(np.int64)
    pos = (base + rng.integers(-30, 40, n)) * 86_400_000
    quar = (base + rng.integers(0, 45, n)) * 86_400_000
    cols = {
        "subject.lastPositiveTest": Column("datestr", pos, rng.random(n) < 0.7),
        "subject.quarantineUntil": Column("datestr", quar, rng.random(n) < 0.8),
        "subject.arrivalRiskLevel": Column("int", rng.integers(0, 6, n)),
        "subject.kind": Column("str", rng.integers(0, 2, n).astype(np.int32), None, ["person", "enterprise"]),
    }
    return cols


def row_context(cols, i):
    def get(path):
        c = cols[path]
        if c.null is not None and c.null[i]:
            return None
        if c.kind == "datestr":
            return _iso(c.values[i])
        if c.kind == "str":
            return c.categories[c.values[i]]
        return int(c.values[i])

    subject = {p.split(".", 1)[1]: get(p) for p in cols}
    return {"subject": subject, "external": {"validationClock": CLOCK}}


EXTRA_RULES = [
    {"id": "X1", "colour": "yellow", "logic": {"in": [{"var": "subject.kind"}, ["person"]]}},
    {
        "id": "X2",
        "colour": "yellow",
        "logic": {"and": [{"<=": [0, {"var": "subject.arrivalRiskLevel"}, 3]}, True]},
    },
    {"id": "X3", "colour": "red", "logic": {"!": [{"===": [{"var": "subject.kind"}, "enterprise"]}]}},
    {"id": "X4", "colour": "yellow", "logic": {"<": [{"+": [{"var": "subject.arrivalRiskLevel"}, 1]}, 5]}},
    {
        "id": "X5",
        "colour": "red",
        "logic": {
            "not-before": [
                {"plusTime": [{"var": "subject.lastPositiveTest"}, 1, "month"]},
                {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
            ]
        },
    },
    {"id": "X6", "colour": "yellow", "logic": {"!!": [{"var": "subject.quarantineUntil"}]}},
    {
        "id": "X7",
        "colour": "red",
        "logic": {
            "if": [
                {"var": "subject.missing"},
                False,
                {
                    "after": [
                        {"plusTime": [{"var": "subject.quarantineUntil"}, -1, "year"]},
                        {"plusTime": ["2023-01-01", 0, "day"]},
                    ]
                },
            ]
        },
    },
]


@pytest.mark.parametrize("rules", [HEALTH_RULES, EXTRA_RULES])
def test_vectorised_matches_interpreter(rules):
    n = 600
    cols = random_columns(n)
    compiled = compile_rules(rules)
    colour, failures = evaluate_columns(compiled, cols, {"external.validationClock": CLOCK}, n)
    for i in range(n):
        ctx = row_context(cols, i)
        for rule in rules:
            passed, _ = certlogic.evaluate_rule(rule["logic"], ctx)
            assert failures[rule["id"]][i] == (not passed), (rule["id"], ctx)


def test_offset_matches_interpreter_across_months_and_leap_days():
    days = ["2020-02-29", "2021-01-31", "2021-03-31", "2019-12-31", "2024-02-29", "2023-05-15"]
    ms = np.array([certlogic.parse_date_time(d).ms for d in days], dtype=np.int64)
    for amount in (-13, -1, 1, 4, 12):
        for unit in ("month", "year", "day", "hour"):
            got = offset_ms(ms, amount, unit)
            want = [certlogic.plus_time(d, amount, unit).ms for d in days]
            assert got.tolist() == want, (amount, unit)


def test_unsupported_operations_raise_compile_error():
    with pytest.raises(CompileError):
        compile_rules(
            [{"id": "R", "colour": "red", "logic": {"reduce": [{"var": "x"}, {"var": "current"}, 0]}}]
        )


def test_fast_base45_matches_the_base45_package():
    import os

    import base45

    from zhengtong.codes.cose import b45decode, b45encode

    for size in range(0, 64):
        data = os.urandom(size)
        text = base45.b45encode(data).decode()
        assert b45encode(data) == text
        assert b45decode(text) == data
    for bad in ("A", "GGW", "::", "ab", "~~~"):
        with pytest.raises(ValueError):
            b45decode(bad)
        with pytest.raises(Exception):  # the package agrees these are invalid
            base45.b45decode(bad)
