"""Column classification and grade suggestion."""

from __future__ import annotations

import datetime as dt

from zhengtong.core.identifiers import generate_resident_id
from zhengtong.privacy.classify import (
    CATEGORIES,
    ColumnClass,
    classify_column,
    classify_table,
    looks_like_address,
    looks_like_person_name,
)

IDS = [generate_resident_id("330106", dt.date(1980 + i, 1 + i % 12, 1 + i), i) for i in range(20)]


def test_resident_id_column_by_values_and_header():
    result = classify_column("身份证号", IDS)
    assert isinstance(result, ColumnClass)
    assert (result.category, result.grade) == ("resident_id", "L4")
    assert result.confidence >= 0.9
    assert "100%" in result.reason and "身份证号" in result.reason


def test_values_win_over_a_neutral_header():
    result = classify_column("col_7", [f"139{i:08d}" for i in range(20)])
    assert (result.category, result.grade) == ("mobile", "L3")
    assert result.confidence < 1.0  # header does not agree


def test_header_with_mixed_phone_values():
    result = classify_column("联系电话", ["13912345678", "0571-87654321", "13812345678", None, ""])
    assert result.category == "mobile"


def test_person_name_by_header_and_surname_list():
    result = classify_column("法定代表人", ["张三", "李四", "欧阳娜娜", "王小明"])
    assert (result.category, result.grade) == ("person_name", "L3")
    # company names under a "name" header are not person names
    assert classify_column("企业名称", ["杭州某某科技有限公司", "义乌小商品城集团"]).category == "none"
    assert classify_column("name", ["杭州某某科技有限公司", "义乌小商品城集团"]).category != "person_name"
    assert (
        looks_like_person_name("诸葛亮")
        and not looks_like_person_name("西湖区")
        and not looks_like_person_name("x")
    )


def test_legal_representative_id_column_is_an_id_not_a_name():
    assert classify_column("法定代表人身份证号", IDS[:5]).category == "resident_id"


def test_address_by_header_and_by_values():
    values = ["浙江省杭州市西湖区文三路90号", "浙江省义乌市稠城街道工人北路1号", "杭州市上城区解放路2号"]
    assert classify_column("住址", values)[:2] == ("address", "L3")
    assert classify_column("c3", values).category == "address"
    assert looks_like_address("浙江省杭州市西湖区文三路90号") and not looks_like_address("西湖")


def test_birth_date_and_free_text():
    assert (
        classify_column("出生日期", ["1985-06-15", dt.date(1990, 1, 2), "19920801"]).category == "birth_date"
    )
    text = [
        "市民反映小区门口路灯损坏，联系电话13912345678，请尽快处理。",
        "建议增加公交班次，方便上下班通勤的市民出行。",
    ]
    result = classify_column("诉求内容", text)
    assert (result.category, result.grade) == ("free_text", "L2")
    assert "1" in result.reason


def test_public_codes_and_plain_columns_are_l1():
    assert classify_column("统一社会信用代码", ["91350100M000100Y43"])[:2] == ("uscc", "L1")
    plain = classify_column("employees", ["12", "40", "7"])
    assert plain[:2] == ("none", "L1")
    assert classify_column("anything", []).category == "none"
    assert classify_column("手机", []).category == "mobile"


def test_classify_table_and_categories():
    rows = [{"姓名": "张三", "身份证号": IDS[0], "手机": "13912345678", "行业": "制造业"}]
    result = classify_table(["姓名", "身份证号", "手机", "行业"], rows)
    assert {k: v.category for k, v in result.items()} == {
        "姓名": "person_name",
        "身份证号": "resident_id",
        "手机": "mobile",
        "行业": "none",
    }
    assert all(v.category in CATEGORIES for v in result.values())
    assert result["身份证号"].as_dict()["grade"] == "L4"


def test_misleading_headers_do_not_hide_names_or_addresses():
    addresses = ["浙江省杭州市西湖区文三路90号", "浙江省义乌市稠城街道工人北路1号", "杭州市上城区解放路2号"]
    assert classify_column("mailing_address", addresses).category == "address"
    assert classify_column("hotel_name", ["西湖国宾馆", "望湖宾馆"]).category == "none"
    assert classify_column("ip", ["10.1.2.3", "192.168.0.1"]).category == "ipv4"
    assert classify_column("tip", ["多喝水", "早睡"]).category == "none"
    assert classify_column("remark_person", ["张三", "李四", "王五"]).category == "person_name"
