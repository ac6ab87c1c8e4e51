"""CertLogic evaluator: every operation, missing values, type mismatches, date arithmetic."""

import pytest

from zhengtong.codes.certlogic import (
    CertLogicError,
    DateTime,
    date_of_birth,
    evaluate,
    evaluate_rule,
    is_falsy,
    is_truthy,
    parse_date_time,
    plus_time,
    validate,
)


def iso(value: DateTime) -> str:
    return value.isoformat()


def pt(text, amount=0, unit="day"):
    return {"plusTime": [text, amount, unit]}


# ---------------------------------------------------------------- truthiness


@pytest.mark.parametrize("value", [False, None, "", 0, [], {}])
def test_falsy_values(value):
    assert is_falsy(value) and not is_truthy(value)


@pytest.mark.parametrize("value", [True, "a", 1, -3, [0], {"a": None}])
def test_truthy_values(value):
    assert is_truthy(value) and not is_falsy(value)


@pytest.mark.parametrize("value", [1.5, DateTime(0)])
def test_neither_truthy_nor_falsy(value):
    assert not is_truthy(value) and not is_falsy(value)


# ---------------------------------------------------------------- literals and var


def test_literals_evaluate_to_themselves():
    assert evaluate(1, {}) == 1
    assert evaluate("x", {}) is not None and evaluate("x", {}) == "x"
    assert evaluate(True, {}) is True
    assert evaluate([1, {"var": "a"}], {"a": 2}) == [1, 2]


@pytest.mark.parametrize("bad", [None, 1.5, {"a": 1, "b": 2}, {}])
def test_invalid_literals_raise(bad):
    with pytest.raises(CertLogicError):
        evaluate(bad, {})


def test_var_paths_and_missing_values():
    data = {"a": {"b": [10, {"c": "x"}]}, "n": None, "z": 0}
    assert evaluate({"var": "a.b.0"}, data) == 10
    assert evaluate({"var": "a.b.1.c"}, data) == "x"
    assert evaluate({"var": "a.b.5"}, data) is None
    assert evaluate({"var": "a.b.-1"}, data) is None  # no Python negative indexing
    assert evaluate({"var": "missing.deeper"}, data) is None
    assert evaluate({"var": "n.x"}, data) is None
    assert evaluate({"var": "z"}, data) == 0
    assert evaluate({"var": ""}, data) is data
    assert evaluate({"var": "a.b.x"}, data) is None  # non-integer index into an array
    assert evaluate({"var": "z.y"}, data) is None  # drilling into a scalar
    assert evaluate({"var": 0}, [7]) == 7
    assert evaluate({"var": "a"}, None) is None


def test_var_rejects_non_string_path():
    with pytest.raises(CertLogicError):
        evaluate({"var": ["a", 1]}, {})


# ---------------------------------------------------------------- if / and / ! / !!


def test_if_branches_and_laziness():
    assert evaluate({"if": [True, 1, {"var": "x"}]}, {}) == 1
    assert evaluate({"if": [{"var": "missing"}, {"unknownOp": [1]}, "else"]}, {}) == "else"
    assert evaluate({"if": ["", 1, 2]}, {}) == 2
    with pytest.raises(CertLogicError):
        evaluate({"if": [pt("2021-01-01"), 1, 2]}, {})  # guard neither truthy nor falsy
    with pytest.raises(CertLogicError):
        evaluate({"if": [True, 1]}, {})


def test_and_semantics():
    assert evaluate({"and": [True, 1, "x"]}, {}) == "x"
    assert evaluate({"and": [True, "", {"unknownOp": []}]}, {}) == ""  # lazy: stops at falsy
    assert evaluate({"and": [0, True]}, {}) == 0
    assert evaluate({"and": [True, pt("2021-01-01")]}, {}) == parse_date_time("2021-01-01")  # last unchecked
    with pytest.raises(CertLogicError):
        evaluate({"and": [pt("2021-01-01"), True]}, {})
    with pytest.raises(CertLogicError):
        evaluate({"and": [True]}, {})


def test_not_and_double_not():
    assert evaluate({"!": [{"var": "missing"}]}, {}) is True
    assert evaluate({"!": [0]}, {}) is True
    assert evaluate({"!": [{"var": "a"}]}, {"a": [1]}) is False
    assert evaluate({"!!": [{"var": "a"}]}, {"a": "x"}) is True
    assert evaluate({"!!": [""]}, {}) is False
    with pytest.raises(CertLogicError):
        evaluate({"!!": [{}]}, {})  # an object literal is not a valid expression
    with pytest.raises(CertLogicError):
        evaluate({"!": [pt("2020-01-01")]}, {})
    with pytest.raises(CertLogicError):
        evaluate({"!": [1, 2]}, {})


# ---------------------------------------------------------------- equality, in, +


def test_strict_equality_without_coercion():
    assert evaluate({"===": [1, 1]}, {}) is True
    assert evaluate({"===": ["1", 1]}, {}) is False
    assert evaluate({"===": [1, True]}, {}) is False
    assert evaluate({"===": [0, False]}, {}) is False
    assert evaluate({"===": [{"var": "missing"}, {"var": "other"}]}, {}) is True  # null === null
    assert evaluate({"===": [[1], [1]]}, {}) is False  # arrays compare by identity
    assert evaluate({"===": [pt("2021-01-01"), pt("2021-01-01")]}, {}) is False  # as in JavaScript
    with pytest.raises(CertLogicError):
        evaluate({"===": [1, 1, 1]}, {})


def test_in_operator():
    assert evaluate({"in": ["b", ["a", "b"]]}, {}) is True
    assert evaluate({"in": [1, [True]]}, {}) is False
    assert evaluate({"in": ["x", []]}, {}) is False
    assert evaluate({"in": [{"var": "c"}, {"var": "list"}]}, {"c": 2, "list": [1, 2]}) is True
    with pytest.raises(CertLogicError):
        evaluate({"in": ["a", "abc"]}, {})
    with pytest.raises(CertLogicError):
        evaluate({"in": ["a", {"var": "missing"}]}, {})


def test_plus():
    assert evaluate({"+": [1, {"var": "a"}]}, {"a": 41}) == 42
    for bad in (["1", 1], [1, None], [True, 1], [1.5, 1]):
        with pytest.raises(CertLogicError):
            evaluate({"+": bad}, {})


# ---------------------------------------------------------------- comparisons


@pytest.mark.parametrize(
    "op,args,expected",
    [
        ("<", [1, 2], True),
        ("<", [2, 2], False),
        ("<=", [2, 2], True),
        (">", [3, 2], True),
        (">=", [1, 2], False),
        ("<", [1, 2, 3], True),
        ("<", [1, 3, 2], False),
        ("<=", [1, 1, 1], True),
        (">", [3, 2, 2], False),
    ],
)
def test_integer_comparisons(op, args, expected):
    assert evaluate({op: args}, {}) is expected


@pytest.mark.parametrize("args", [["1", 2], [None, 1], [True, 2], [1], [1, 2, 3, 4]])
def test_comparison_type_mismatch_or_arity(args):
    with pytest.raises(CertLogicError):
        evaluate({"<": args}, {})


def test_date_comparisons():
    a, b, c = pt("2021-01-01"), pt("2021-01-02"), pt("2021-01-03")
    assert evaluate({"before": [a, b]}, {}) is True
    assert evaluate({"after": [a, b]}, {}) is False
    assert evaluate({"not-after": [a, a]}, {}) is True
    assert evaluate({"not-before": [a, a]}, {}) is True
    assert evaluate({"before": [a, b, c]}, {}) is True
    assert evaluate({"before": [a, c, b]}, {}) is False
    assert evaluate({"not-after": [a, b, b]}, {}) is True
    with pytest.raises(CertLogicError):
        evaluate({"before": ["2021-01-01", b]}, {})  # strings are not date-times
    with pytest.raises(CertLogicError):
        evaluate({"after": [1, 2]}, {})


def test_date_times_with_offsets_compare_by_instant():
    early = pt("2021-05-01T10:00:00+02:00")
    late = pt("2021-05-01T09:00:00Z")
    assert evaluate({"before": [early, late]}, {}) is True


# ---------------------------------------------------------------- plusTime and date parsing


@pytest.mark.parametrize(
    "text,amount,unit,expected",
    [
        ("2020-02-29", 1, "day", "2020-03-01T00:00:00.000Z"),
        ("2020-02-29", 1, "month", "2020-03-29T00:00:00.000Z"),
        ("2020-02-29", 1, "year", "2021-03-01T00:00:00.000Z"),  # JavaScript Date overflow
        ("2020-02-29", 4, "year", "2024-02-29T00:00:00.000Z"),
        ("2021-01-31", 1, "month", "2021-03-03T00:00:00.000Z"),
        ("2020-01-31", 1, "month", "2020-03-02T00:00:00.000Z"),  # leap year February
        ("2021-03-31", -1, "month", "2021-03-03T00:00:00.000Z"),
        ("2021-12-15", 1, "month", "2022-01-15T00:00:00.000Z"),
        ("2021-01-15", -13, "month", "2019-12-15T00:00:00.000Z"),
        ("2021-03-01", -1, "day", "2021-02-28T00:00:00.000Z"),
        ("2020-03-01", -1, "day", "2020-02-29T00:00:00.000Z"),
        ("2021-12-31T23:00:00Z", 2, "hour", "2022-01-01T01:00:00.000Z"),
        ("2021-06-01T10:20:30.123456Z", 0, "hour", "2021-06-01T10:20:30.123Z"),
        ("2021-06-01T10:00:00+0530", 0, "day", "2021-06-01T04:30:00.000Z"),
        ("2021-06-01T10:00:00-1", 0, "day", "2021-06-01T11:00:00.000Z"),
        ("2021-06-01T10:00:00+130", 0, "day", "2021-06-01T08:30:00.000Z"),
        ("2021-06-01T10:00:00", 0, "day", "2021-06-01T10:00:00.000Z"),
        ("2021", 0, "day", "2021-12-31T00:00:00.000Z"),  # partial dates as dccDateOfBirth
        ("2020-02", 0, "day", "2020-02-29T00:00:00.000Z"),
        ("2021-02", 1, "day", "2021-03-01T00:00:00.000Z"),
    ],
)
def test_plus_time(text, amount, unit, expected):
    assert iso(evaluate({"plusTime": [text, amount, unit]}, {})) == expected


@pytest.mark.parametrize(
    "expr",
    [
        {"plusTime": ["2021-01-01", 1.5, "day"]},
        {"plusTime": ["2021-01-01", 1, "week"]},
        {"plusTime": ["2021-01-01", {"var": "n"}, "day"]},  # amount must be a literal
        {"plusTime": [{"var": "missing"}, 1, "day"]},  # null date
        {"plusTime": [5, 1, "day"]},
        {"plusTime": ["2021-02-30", 0, "day"]},
        {"plusTime": ["2021-13-01", 0, "day"]},
        {"plusTime": ["21-01-01", 0, "day"]},
        {"plusTime": ["2021-01-01T25:00:00Z", 0, "day"]},
        {"plusTime": ["2021-01-01", 0]},
        {"plusTime": [{"plusTime": ["2021-01-01", 0, "day"]}, 1, "day"]},  # not nestable
    ],
)
def test_plus_time_errors(expr):
    with pytest.raises(CertLogicError):
        evaluate(expr, {"n": 1})


def test_dcc_date_of_birth():
    assert iso(date_of_birth("1990")) == "1990-12-31T00:00:00.000Z"
    assert iso(date_of_birth("2000-02")) == "2000-02-29T00:00:00.000Z"
    assert iso(date_of_birth("1900-02")) == "1900-02-28T00:00:00.000Z"
    assert iso(date_of_birth("1990-04-15")) == "1990-04-15T00:00:00.000Z"
    minor = {
        "after": [
            {"dccDateOfBirth": [{"var": "payload.dob"}]},
            {"plusTime": [{"var": "external.validationClock"}, -18, "year"]},
        ]
    }
    clock = "2026-11-22T00:00:00Z"
    assert evaluate(minor, {"payload": {"dob": "2010"}, "external": {"validationClock": clock}}) is True
    assert evaluate(minor, {"payload": {"dob": "1990-01"}, "external": {"validationClock": clock}}) is False
    assert evaluate(minor, {"payload": {"dob": "2008-11"}, "external": {"validationClock": clock}}) is True
    for bad in (None, 1990, "1990-13", "1990-02-30", "1990-1-1", "1990-01-01T00:00:00Z"):
        with pytest.raises(CertLogicError):
            evaluate({"dccDateOfBirth": [bad if not isinstance(bad, type(None)) else {"var": "x"}]}, {})


# ---------------------------------------------------------------- reduce and extractFromUVCI


def test_reduce():
    data = {"items": [1, 2, 3]}
    total = {"reduce": [{"var": "items"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}
    assert evaluate(total, data) == 6
    assert evaluate(total, {"items": []}) == 0
    assert evaluate(total, {}) == 0  # null operand → initial
    all_neg = {
        "reduce": [
            {"var": "tests"},
            {"and": [{"var": "accumulator"}, {"===": [{"var": "current.r"}, "neg"]}]},
            True,
        ]
    }
    assert evaluate(all_neg, {"tests": [{"r": "neg"}, {"r": "neg"}]}) is True
    assert evaluate(all_neg, {"tests": [{"r": "neg"}, {"r": "pos"}]}) is False
    # the lambda sees only accumulator and current, not the outer data
    outer = {"reduce": [{"var": "items"}, {"var": "data"}, 0]}
    assert evaluate(outer, {"items": [1], "data": 5}) is None
    with pytest.raises(CertLogicError):
        evaluate({"reduce": ["abc", {"var": "current"}, 0]}, {})


def test_extract_from_uvci():
    uvci = "URN:UVCI:01:NL:187/37512422923"
    assert evaluate({"extractFromUVCI": [uvci, 0]}, {}) == "01"
    assert evaluate({"extractFromUVCI": [uvci, 1]}, {}) == "NL"
    assert evaluate({"extractFromUVCI": [uvci, 3]}, {}) == "37512422923"
    assert evaluate({"extractFromUVCI": [uvci, 4]}, {}) is None
    assert evaluate({"extractFromUVCI": ["a::c/#/f", 5]}, {}) == "f"
    assert evaluate({"extractFromUVCI": ["a::c/#/f", 1]}, {}) == ""
    assert evaluate({"extractFromUVCI": [{"var": "missing"}, 0]}, {}) is None
    assert evaluate({"extractFromUVCI": ["abc", -1]}, {}) is None
    with pytest.raises(CertLogicError):
        evaluate({"extractFromUVCI": [1, 0]}, {})
    with pytest.raises(CertLogicError):
        evaluate({"extractFromUVCI": ["abc", "0"]}, {})


# ---------------------------------------------------------------- rules never crash


def test_unknown_operator_and_malformed_operations():
    for expr in ({"foo": [1]}, {"===": 1}, {"and": []}, {"in": [1]}):
        with pytest.raises(CertLogicError):
            evaluate(expr, {})


@pytest.mark.parametrize(
    "expr,data",
    [
        ({"before": [{"plusTime": [{"var": "subject.lastTest"}, 14, "day"]}, "x"]}, {}),
        ({"<": [{"var": "missing"}, 5]}, {}),
        ({"foo": []}, {}),
        (None, {}),
        ({"var": "a"}, {"a": 1.5}),
        ("just a string", {}),
    ],
)
def test_evaluate_rule_fails_safe(expr, data):
    passed, _error = evaluate_rule(expr, data)
    assert passed is False or expr == "just a string"


def test_evaluate_rule_deep_nesting_is_an_error_not_a_crash():
    expr = True
    for _ in range(5000):
        expr = {"!": [expr]}
    passed, error = evaluate_rule(expr, {})
    assert passed is False and error


def test_validate_reports_problems():
    assert validate({"and": [{"var": "a"}, {"<": [1, 2]}]}) == []
    problems = validate({"and": [{"foo": [1]}, {"plusTime": ["2021", {"var": "x"}, "week"]}]})
    assert any("foo" in p for p in problems)
    assert any("amount" in p for p in problems) and any("unit" in p for p in problems)
    assert validate({"<": [1]}) and validate({"if": [1, 2]}) and validate({"var": []})


def test_plus_time_function_matches_spec_table():
    assert iso(plus_time("2020-02-29", 1, "year")) == "2021-03-01T00:00:00.000Z"
