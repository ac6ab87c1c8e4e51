"""infer_schema and validate: types, formats, constraints, row-numbered errors."""

import datetime as dt

import pyarrow as pa
import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine


def strings(**cols):
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


def types_of(schema):
    return {f["name"]: (f["type"], f.get("format")) for f in schema["fields"]}


def test_infer_types_and_formats():
    table = strings(
        n=["1", "-2", None],
        x=["1.5", "2", "3e2"],
        flag=["true", "false", "TRUE"],
        day=["2020-01-02", "2021-12-31", None],
        slash=["2020/1/2", "2021/12/31", "2022/03/04"],
        cn=["2020年1月2日", "2021年12月31日", "2022年3月4日"],
        stamp=["2020-01-02T08:30:00", "2020-01-02 09:00", "2021-05-06T10:11:12+08:00"],
        founded_year=["1999", "2005", "2020"],
        where=["120.15, 30.28", "119.65,29.08", "121.5,31.2"],
        code=["330106", "330107", "330108"],
        zero=["0571", "0572", "0573"],
        text=["甲", "乙", "1"],
        empty=[None, None, None],
        clock=["08:30", "17:00:00", "23:59"],
    )
    got = types_of(engine.infer_schema(table))
    assert got["n"] == ("integer", "default")
    assert got["x"] == ("number", "default")
    assert got["flag"] == ("boolean", "default")
    assert got["day"] == ("date", "default")
    assert got["slash"] == ("date", "%Y/%m/%d")
    assert got["cn"] == ("date", "%Y年%m月%d日")
    assert got["stamp"][0] == "datetime"
    assert got["founded_year"][0] == "year"
    assert got["where"][0] == "geopoint"
    assert got["code"][0] == "string"  # fixed-length codes keep their digits
    assert got["zero"][0] == "string"  # leading zeros
    assert got["text"][0] == "string"
    assert got["empty"][0] == "string"
    assert got["clock"][0] == "time"


def test_inferred_schema_validates_its_table():
    table = strings(a=["1", "2"], b=["2020-01-01", "x"], c=["1.5", "abc"])
    schema = engine.infer_schema(table)
    typed, errors = engine.validate(table, schema)
    assert errors == []
    assert typed["a"].type == pa.int64()


def test_inference_confirms_sample_on_whole_column():
    values = [str(i) for i in range(30)] + ["not a number"]
    schema = engine.infer_schema(strings(a=values), sample_rows=10)
    assert types_of(schema)["a"][0] == "string"


def test_infer_from_typed_arrow_columns():
    table = pa.table({"i": [1, 2], "f": [1.5, 2.0], "d": [dt.date(2020, 1, 1), None], "b": [True, False]})
    assert {k: v[0] for k, v in types_of(engine.infer_schema(table)).items()} == {
        "i": "integer",
        "f": "number",
        "d": "date",
        "b": "boolean",
    }


def test_validate_casts_and_numbers_rows():
    table = strings(
        n=["1", "x", "3", None],
        d=["2020-02-29", "2021-02-29", "2020-01-01", "2020-13-01"],
        f=["1.5", "1,5", "2", ""],
        b=["true", "否", "maybe", None],
        t=["2020-01-02T03:04:05", "2020-01-02 03:04", "nope", None],
    )
    schema = {
        "fields": [
            {"name": "n", "type": "integer"},
            {"name": "d", "type": "date"},
            {"name": "f", "type": "number"},
            {"name": "b", "type": "boolean"},
            {"name": "t", "type": "datetime"},
        ]
    }
    typed, errors = engine.validate(table, schema)
    got = {(e.row, e.field, e.rule) for e in errors}
    assert got == {
        (2, "n", "type"),
        (2, "d", "type"),
        (4, "d", "type"),
        (2, "f", "type"),
        (3, "b", "type"),
        (3, "t", "type"),
    }
    assert typed["n"].to_pylist() == [1, None, 3, None]
    assert typed["d"].to_pylist()[0] == dt.date(2020, 2, 29)
    assert typed["b"].to_pylist() == [True, False, None, None]
    assert typed["t"].to_pylist()[1] == dt.datetime(2020, 1, 2, 3, 4)
    assert typed["f"].to_pylist()[3] is None  # "" is a missing value


def test_validate_constraints():
    table = strings(
        code=["A1", "A2", "A1", None, "b9"],
        level=["1", "5", "3", "2", "9"],
        status=["open", "open", "shut", "gone", None],
        name=["ab", "a", "abcdef", "abc", "abcd"],
        day=["2020-01-01", "2019-01-01", "2021-01-01", "2020-06-01", "2030-01-01"],
    )
    schema = {
        "fields": [
            {
                "name": "code",
                "type": "string",
                "constraints": {"required": True, "unique": True, "pattern": "[A-Z][0-9]"},
            },
            {"name": "level", "type": "integer", "constraints": {"minimum": 1, "maximum": 5}},
            {"name": "status", "type": "string", "constraints": {"enum": ["open", "shut"]}},
            {"name": "name", "type": "string", "constraints": {"minLength": 2, "maxLength": 4}},
            {
                "name": "day",
                "type": "date",
                "constraints": {"minimum": "2020-01-01", "maximum": "2025-12-31"},
            },
        ]
    }
    _typed, errors = engine.validate(table, schema)
    got = {(e.row, e.field, e.rule) for e in errors}
    assert got == {
        (4, "code", "required"),
        (3, "code", "unique"),
        (5, "code", "pattern"),
        (5, "level", "maximum"),
        (4, "status", "enum"),
        (2, "name", "minLength"),
        (3, "name", "maxLength"),
        (2, "day", "minimum"),
        (5, "day", "maximum"),
    }
    assert all(e.message for e in errors)


def test_errors_are_capped_with_total():
    table = strings(n=["x"] * 50)
    _typed, errors = engine.validate(table, {"fields": [{"name": "n", "type": "integer"}]}, max_errors=10)
    assert len(errors) == 10
    assert errors.total == 50
    assert [e.row for e in errors] == list(range(1, 11))


def test_missing_and_extra_columns():
    table = strings(a=["1"], extra=["x"])
    _typed, errors = engine.validate(table, {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}]})
    assert {(e.row, e.field, e.rule) for e in errors} == {
        (0, "extra", "extra_field"),
        (0, "b", "missing_field"),
    }


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"fields": []},
        {"fields": [{"name": "a", "type": "blob"}]},
        {"fields": [{"name": "a"}, {"name": "a"}]},
        {"fields": [{"name": "_row"}]},
        {"fields": [{"name": "a", "constraints": {"pattern": "("}}]},
        {"fields": [{"name": "a", "type": "integer", "constraints": {"minimum": "ten"}}]},
    ],
)
def test_bad_schema(schema):
    with pytest.raises(ValidationError):
        engine.validate(strings(a=["1"]), schema)


def test_validate_is_vectorised_enough():
    import time

    n = 200_000
    table = strings(a=[str(i) for i in range(n)], b=["2020-01-01"] * n, c=["1.5"] * n)
    schema = {
        "fields": [
            {"name": "a", "type": "integer", "constraints": {"unique": True, "required": True}},
            {"name": "b", "type": "date"},
            {"name": "c", "type": "number", "constraints": {"minimum": 0}},
        ]
    }
    start = time.perf_counter()
    _typed, errors = engine.validate(table, schema)
    assert errors == []
    assert time.perf_counter() - start < 5
