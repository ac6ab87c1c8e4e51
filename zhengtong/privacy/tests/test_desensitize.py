"""Desensitization operators, default policies and whole tables."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.core.masking import pseudonymize
from zhengtong.privacy.classify import classify_column
from zhengtong.privacy.desensitize import (
    apply_value,
    default_policy,
    desensitize_table,
    generalize_county,
    pseudonym,
)

RID = "11010519491231002X"


def test_mask_keep_first_last_and_short_values():
    policy = {"op": "mask", "keep_first": 3, "keep_last": 4}
    assert apply_value("13912345678", policy) == "139****5678"
    assert apply_value("1234", policy) == "****"
    assert apply_value(None, policy) is None
    assert apply_value("张三丰", {"op": "mask", "keep_first": 1}) == "张**"


def test_generalize_dates():
    assert apply_value(dt.date(1985, 6, 15), {"op": "generalize", "to": "year"}) == "1985"
    assert apply_value("1985-06-15", {"op": "generalize", "to": "month"}) == "1985-06"
    assert apply_value("1985年6月15日", {"op": "generalize", "to": "month"}) == "1985-06"
    assert apply_value("19850615", {"op": "generalize", "to": "year"}) == "1985"
    assert apply_value("unknown", {"op": "generalize", "to": "year"}) is None


@pytest.mark.parametrize(
    ("address", "county"),
    [
        ("浙江省杭州市西湖区文三路90号", "浙江省杭州市西湖区"),
        ("北京市海淀区中关村大街1号", "北京市海淀区"),
        ("浙江省金华市义乌市稠城街道工人北路1号", "浙江省金华市义乌市"),
        ("义乌市稠城街道工人北路", "义乌市"),
        ("内蒙古自治区呼和浩特市新城区中山路1号", "内蒙古自治区呼和浩特市新城区"),
        ("杭州市阳光小区3幢", "杭州市"),
        ("文三路90号", None),
    ],
)
def test_generalize_address_to_county(address, county):
    assert generalize_county(address) == county
    assert apply_value(address, {"op": "generalize", "to": "county"}) == county


def test_generalize_age_band_and_grid():
    assert apply_value(37, {"op": "generalize", "to": "age_band"}) == "30-39"
    assert apply_value("7", {"op": "generalize", "to": "age_band", "width": 5}) == "5-9"
    assert apply_value(120.1234, {"op": "generalize", "to": "grid", "cell": 0.01}) == 120.12
    assert apply_value("120.1234,30.2567", {"op": "generalize", "to": "grid"}) == "120.12,30.25"


def test_pseudonymize_is_keyed_stable_and_not_a_bare_hash(settings):
    import hashlib

    settings.PRIVACY_PSEUDONYM_KEY = ""
    first = apply_value(RID, {"op": "pseudonymize"})
    assert first == apply_value(RID, {"op": "pseudonymize"}) == pseudonymize(RID)
    assert len(first) == 32 and RID not in first
    assert first not in hashlib.sha256(RID.encode()).hexdigest()
    settings.PRIVACY_PSEUDONYM_KEY = "another-key-of-sufficient-length-0123456789"
    assert pseudonym(RID) != first


def test_suppress_round_scan():
    assert apply_value("x", {"op": "suppress"}) is None
    assert apply_value(123456, {"op": "round", "digits": -2}) == 123500
    assert apply_value(3.14159, {"op": "round", "digits": 2}) == 3.14
    assert apply_value(f"身份证{RID}。", {"op": "scan"}) == "身份证110105********002X。"
    assert apply_value("abc", {"op": "keep"}) == "abc"


def test_default_policy_per_class():
    assert default_policy(classify_column("身份证号", [RID])) == {
        "op": "mask",
        "keep_first": 6,
        "keep_last": 4,
    }
    assert default_policy(classify_column("手机", ["13912345678"]))["op"] == "mask"
    assert default_policy(classify_column("住址", ["浙江省杭州市西湖区文三路90号"])) == {
        "op": "generalize",
        "to": "county",
    }
    assert default_policy(
        classify_column("备注", ["市民反映路灯损坏，联系电话13912345678，请尽快处理。"])
    ) == {"op": "scan"}
    assert default_policy(classify_column("employees", ["12"])) == {"op": "keep"}


def _table():
    return pa.table(
        {
            "name": ["张三丰", "李四", None],
            "rid": [RID, "330106198506150011", None],
            "phone": ["13912345678", "0571-87654321", None],
            "address": ["浙江省杭州市西湖区文三路90号", "文三路1号", None],
            "born": pa.array([dt.date(1985, 6, 15), dt.date(1990, 1, 2), None]),
            "capital": [123456, 50, None],
            "lon": [120.1234, 119.98765, None],
            "note": ["联系13912345678", "无", None],
            "age": [37, 8, None],
            "kept": ["a", "b", "c"],
        }
    )


def test_desensitize_table_every_operator(settings):
    policies = {
        "name": {"op": "mask", "keep_first": 1},
        "rid": {"op": "pseudonymize"},
        "phone": {"op": "mask", "keep_first": 3, "keep_last": 4},
        "address": {"op": "generalize", "to": "county"},
        "born": {"op": "generalize", "to": "month"},
        "capital": {"op": "round", "digits": -2},
        "lon": {"op": "generalize", "to": "grid", "cell": 0.01},
        "note": {"op": "scan"},
        "age": {"op": "generalize", "to": "age_band"},
    }
    out = desensitize_table(_table(), policies)
    assert out.column_names == _table().column_names
    rows = out.to_pylist()
    assert [r["name"] for r in rows] == ["张**", "李*", None]
    assert rows[0]["rid"] == pseudonym(RID) and rows[2]["rid"] is None
    assert [r["phone"] for r in rows] == ["139****5678", "057******4321", None]
    assert [r["address"] for r in rows] == ["浙江省杭州市西湖区", None, None]
    assert [r["born"] for r in rows] == ["1985-06", "1990-01", None]
    assert [r["capital"] for r in rows] == [123500, 100, None]
    assert [r["lon"] for r in rows] == [120.12, 119.98, None]
    assert [r["note"] for r in rows] == ["联系139****5678", "无", None]
    assert [r["age"] for r in rows] == ["30-39", "0-9", None]
    assert [r["kept"] for r in rows] == ["a", "b", "c"]
    # the vectorised path agrees with apply_value
    source = _table().to_pylist()
    for field, policy in policies.items():
        if field in ("rid",):
            continue
        expected = [apply_value(r[field], policy) for r in source]
        assert [r[field] for r in rows] == expected, field


def test_desensitize_table_suppress_and_year_and_keep():
    out = desensitize_table(_table(), {"rid": {"op": "suppress"}, "born": {"op": "generalize", "to": "year"}})
    assert out.column("rid").to_pylist() == [None, None, None]
    assert out.column("born").to_pylist() == ["1985", "1990", None]
    assert out.column("name").to_pylist() == ["张三丰", "李四", None]


def test_desensitize_table_rejects_bad_policies():
    with pytest.raises(ValidationError, match="nope"):
        desensitize_table(_table(), {"nope": {"op": "keep"}})
    with pytest.raises(ValidationError, match="rid"):
        desensitize_table(_table(), {"rid": {"op": "explode"}})
    with pytest.raises(ValidationError, match="keep_first"):
        desensitize_table(_table(), {"rid": {"op": "mask", "keep_first": -1}})
    with pytest.raises(ValidationError, match="generalize to"):
        desensitize_table(_table(), {"born": {"op": "generalize", "to": "decade"}})


def test_desensitize_table_chunked_dictionary_and_numeric_columns():
    chunked = pa.chunked_array([["13912345678", None], ["13812345678"]])
    districts = pa.array(
        ["浙江省杭州市西湖区文三路1号", "浙江省杭州市西湖区文三路1号", None]
    ).dictionary_encode()
    table = pa.table(
        {"phone": chunked, "addr": districts, "phone_int": pa.array([13912345678, None, 1], pa.int64())}
    )
    out = desensitize_table(
        table,
        {
            "phone": {"op": "mask", "keep_first": 3, "keep_last": 4},
            "addr": {"op": "generalize", "to": "county"},
            "phone_int": {"op": "mask", "keep_first": 3, "keep_last": 4},
        },
    )
    assert out.column("phone").to_pylist() == ["139****5678", None, "138****5678"]
    assert out.column("addr").to_pylist() == ["浙江省杭州市西湖区", "浙江省杭州市西湖区", None]
    assert out.column("phone_int").to_pylist() == ["139****5678", None, "*"]
    assert desensitize_table(table, {"addr": {"op": "suppress"}}).column("addr").null_count == 3


def test_county_cut_ignores_text_after_a_line_break():
    table = pa.table({"a": ["浙江省杭州市西湖区\n文三路90号", " 北京市海淀区中关村大街1号"]})
    out = desensitize_table(table, {"a": {"op": "generalize", "to": "county"}})
    assert out.column("a").to_pylist() == ["浙江省杭州市西湖区", "北京市海淀区"]
    assert [generalize_county(v) for v in table.column("a").to_pylist()] == out.column("a").to_pylist()
