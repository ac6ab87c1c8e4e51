"""Detectors: every kind with valid and invalid examples, Chinese text around identifiers."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from zhengtong.core import identifiers
from zhengtong.privacy.detectors import (
    KINDS,
    Finding,
    detect,
    mask_finding,
    scan_text,
    scan_text_with_findings,
)

VALID_ID = "11010519491231002X"
WRONG_CHECK_ID = "110105194912310021"  # correct check character is X


def kinds(text: str) -> list[tuple[str, str, bool]]:
    return [(f.kind, f.value, f.valid) for f in detect(text)]


# --------------------------------------------------------------------------- resident ID


def test_resident_id_valid_inside_chinese_text_without_spaces():
    text = f"身份证号{VALID_ID}的市民"
    assert detect(text) == [Finding("resident_id", 4, 22, VALID_ID, True)]
    assert scan_text(text) == "身份证号110105********002X的市民"


def test_resident_id_standard_example_from_1880():
    assert kinds("号码440524188001010014。") == [("resident_id", "440524188001010014", True)]


def test_resident_id_wrong_check_char_is_suspected_and_masked():
    text = f"证件{WRONG_CHECK_ID}结束"
    assert kinds(text) == [("resident_id", WRONG_CHECK_ID, False)]
    assert WRONG_CHECK_ID not in scan_text(text)
    assert detect(text)[0].label == "resident_id (suspected)"


def test_resident_id_impossible_birth_date_is_suspected():
    first17 = "11010519490231002"  # 31 February
    number = first17 + identifiers.resident_id_check_char(first17)
    assert kinds(f"号{number}") == [("resident_id", number, False)]


def test_resident_id_unknown_region_prefix_is_suspected():
    first17 = "99010519491231002"  # no province 99
    number = first17 + identifiers.resident_id_check_char(first17)
    assert ("resident_id", number, True) not in kinds(f"号{number}")


def test_resident_id_lowercase_x_and_old_15_digit_form():
    assert kinds("号11010519491231002x") == [("resident_id", "11010519491231002x", True)]
    assert kinds("旧号110105491231002。") == [("resident_id", "110105491231002", True)]


def test_resident_id_inside_longer_number_is_not_detected():
    assert [k for k in kinds(f"A{VALID_ID}") if k[0] == "resident_id"] == []
    assert [k for k in kinds(f"9{VALID_ID}9") if k[0] == "resident_id"] == []


def test_fast_resident_id_check_agrees_with_core_validator():
    rng = random.Random(7)
    for _ in range(400):
        first17 = (
            rng.choice(["330106", "110105", "440524", "990101", "330782"])
            + f"{rng.randint(1890, 2030):04d}{rng.randint(1, 13):02d}{rng.randint(1, 32):02d}{rng.randint(0, 999):03d}"
        )
        check = (
            identifiers.resident_id_check_char(first17) if rng.random() < 0.7 else rng.choice("0123456789X")
        )
        number = first17 + check
        try:
            identifiers.validate_resident_id(number)
            expected = True
        except identifiers.IdentifierError:
            expected = False
        found = [f for f in detect(f"号{number}号") if f.kind == "resident_id"]
        assert bool(found and found[0].valid) == expected, number


# --------------------------------------------------------------------------- USCC and org code


def test_uscc_valid_and_wrong_check():
    assert kinds("代码91350100M000100Y43。") == [("uscc", "91350100M000100Y43", True)]
    assert kinds("代码91350100M000100Y44。") == [("uscc", "91350100M000100Y44", False)]
    assert scan_text("代码91350100M000100Y44。") == "代码91350100********44。"


def test_org_code_with_and_without_hyphen():
    assert kinds("机构代码M000100Y-4。") == [("org_code", "M000100Y-4", True)]
    assert kinds("机构代码M000100Y-5。") == [("org_code", "M000100Y-5", False)]
    assert kinds("机构代码M000100Y4。") == [("org_code", "M000100Y4", True)]
    # a 9-character token failing the check is not reported (too common to be a suspect)
    assert kinds("批次M000100Y5。") == []


# --------------------------------------------------------------------------- bank cards


def test_bank_card_unionpay_luhn():
    card = "6222021234567890128"
    assert identifiers.validate_bank_card(card)
    assert kinds(f"卡号{card}。") == [("bank_card", card, True)]
    assert kinds("卡号6222021234567890127。") == [("bank_card", "6222021234567890127", False)]
    assert scan_text(f"卡号{card}。") == "卡号6222***********0128。"


def test_bank_card_grouped_and_visa():
    assert kinds("卡号6222 0212 3456 7890 128。") == [("bank_card", "6222 0212 3456 7890 128", True)]
    assert kinds("Visa卡4111111111111111。") == [("bank_card", "4111111111111111", True)]
    # a 16-digit number outside issuer ranges is an ordinary number
    assert kinds("订单1111111111111117。") == []


# --------------------------------------------------------------------------- phones


def test_mobile_allocated_prefix_and_forms():
    assert kinds("电话13812345678联系") == [("mobile", "13812345678", True)]
    assert kinds("电话+86 138 1234 5678。") == [("mobile", "+86 138 1234 5678", True)]
    assert kinds("电话138-1234-5678。") == [("mobile", "138-1234-5678", True)]
    assert kinds("号14212345678。") == [("mobile", "14212345678", False)]  # 142 is not allocated
    assert scan_text("电话13812345678联系") == "电话138****5678联系"


def test_mobile_not_inside_longer_digit_run():
    assert kinds("编号2138123456789。") == []


def test_landline_forms():
    assert kinds("电话0571-87654321。") == [("landline", "0571-87654321", True)]
    assert kinds("电话(010)62345678。") == [("landline", "(010)62345678", True)]
    assert kinds("电话057187654321。") == [("landline", "057187654321", True)]
    assert kinds("电话0571-87654321-803。") == [("landline", "0571-87654321-803", True)]
    assert kinds("电话010-1234567。") == [("landline", "010-1234567", False)]  # Beijing has 8 digits
    assert scan_text("电话0571-87654321。") == "电话0571-******21。"


# --------------------------------------------------------------------------- email, IP


def test_email_does_not_swallow_chinese():
    assert kinds("邮箱zhang.san@example.com联系") == [("email", "zhang.san@example.com", True)]
    assert kinds("邮箱13812345678@qq.com。") == [("email", "13812345678@qq.com", True)]
    assert scan_text("邮箱zhang.san@example.com") == "邮箱z********@example.com"
    assert kinds("没有邮箱zhang@com") == []


def test_ipv4_with_validation():
    assert kinds("来自10.1.2.3的访问") == [("ipv4", "10.1.2.3", True)]
    assert kinds("来自300.1.2.3的访问") == []
    assert kinds("版本1.2.3.4.5") == []
    assert scan_text("来自192.168.10.20") == "来自192.168.**.**"


def test_ipv6_with_validation():
    assert kinds("地址2001:db8::1访问") == [("ipv6", "2001:db8::1", True)]
    assert kinds("地址fe80::1ff:fe23:4567:890a。") == [("ipv6", "fe80::1ff:fe23:4567:890a", True)]
    assert kinds("时间12:30:45开会") == []
    assert "db8" not in scan_text("地址2001:db8::1访问")


# --------------------------------------------------------------------------- plates, passports, permits


def test_plates_ordinary_new_energy_special():
    assert kinds("车牌浙A12345停放") == [("plate", "浙A12345", True)]
    assert kinds("车牌京AD12345停放") == [("plate", "京AD12345", True)]  # not 京AD1234
    assert kinds("车牌粤B12345D停放") == [("plate", "粤B12345D", True)]
    assert kinds("车牌沪A1234学停放") == [("plate", "沪A1234学", True)]
    assert kinds("车牌浙A·12345停放") == [("plate", "浙A·12345", True)]
    assert kinds("车牌浙AI2345停放") == [("plate", "浙AI2345", False)]  # I is not used
    assert scan_text("车牌浙A12345停放") == "车牌浙A****5停放"


def test_passports_and_permits():
    assert kinds("护照E12345678办理") == [("passport", "E12345678", True)]
    assert kinds("护照EA1234567办理") == [("passport", "EA1234567", True)]
    assert kinds("护照MA1234567办理") == [("passport", "MA1234567", True)]
    assert kinds("通行证C12345678办理") == [("hk_macao_permit", "C12345678", True)]
    assert kinds("通行证CA1234567办理") == [("hk_macao_permit", "CA1234567", True)]
    assert kinds("回乡证H12345678办理") == [("hk_macao_permit", "H12345678", True)]
    assert kinds("护照EI1234567办理") == []  # I is not used
    assert scan_text("护照E12345678办理") == "护照E1*****78办理"


# --------------------------------------------------------------------------- whole texts


def test_scan_masks_everything_and_keeps_offsets():
    rid = identifiers.generate_resident_id("330106", dt.date(1985, 6, 15), 11)
    text = f"张三（身份证{rid}，手机13912345678，邮箱zs@example.cn）车辆浙A12345，卡号6222021234567890128。"
    masked, findings = scan_text_with_findings(text)
    assert [f.kind for f in findings] == ["resident_id", "mobile", "email", "plate", "bank_card"]
    assert len(masked) == len(text)
    for f in findings:
        assert f.value not in masked
        assert masked[f.start : f.end] == f.masked
    assert masked == scan_text(text)


def test_text_without_identifiers_is_returned_unchanged():
    text = "今天西湖区天气晴，气温25度，会议在3楼举行。"
    assert scan_text(text) == text
    assert detect("") == [] and scan_text("") == ""


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_same_length_mask(kind):
    sample = {
        "resident_id": VALID_ID,
        "uscc": "91350100M000100Y43",
        "org_code": "M000100Y-4",
        "bank_card": "6222021234567890128",
        "mobile": "13812345678",
        "landline": "0571-87654321",
        "email": "a.b@example.com",
        "ipv4": "10.1.2.3",
        "ipv6": "2001:db8::1",
        "plate": "浙A12345",
        "passport": "E12345678",
        "hk_macao_permit": "C12345678",
    }[kind]
    masked = mask_finding(kind, sample)
    assert len(masked) == len(sample) and masked != sample and "*" in masked


def test_full_width_digits_are_detected_and_masked_in_place():
    full = VALID_ID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    text = f"身份证号{full}，手机１３８１２３４５６７８，邮箱ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ。"
    found = detect(text)
    assert [(f.kind, f.valid) for f in found] == [("resident_id", True), ("mobile", True), ("email", True)]
    assert found[0].value == full
    masked = scan_text(text)
    assert len(masked) == len(text)
    assert masked.startswith("身份证号１１０１０５********００２Ｘ，手机１３８****５６７８")
    assert masked == scan_text_with_findings(text)[0]


def test_random_text_never_raises_and_keeps_length():
    rng = random.Random(3)
    alphabet = "0123456789Xx-.:@+() 浙京沪A-Za-z号，。（）１２＠" + "".join(
        chr(c) for c in range(0x4E00, 0x4E20)
    )
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        masked, findings = scan_text_with_findings(text)
        assert len(masked) == len(text)
        assert scan_text(text) == masked
        for f in findings:
            assert f.kind in KINDS and text[f.start : f.end] == f.value


def test_ordinary_numbers_in_government_text_are_left_alone():
    text = "2023年10月1日起，共办理12345678901号以外的业务1696156800000次，金额123456789元，编号20231001。"
    assert kinds(text) == []


def test_more_forms():
    assert kinds("地址::ffff:192.0.2.1访问") == [("ipv6", "::ffff:192.0.2.1", True)]
    assert kinds("电话（0571）87654321。") == [("landline", "（0571）87654321", True)]
    assert kinds("电话86 13812345678。") == [("mobile", "86 13812345678", True)]
    assert kinds("电话+8613812345678。") == [("mobile", "+8613812345678", True)]
    assert kinds("号牌粤BD12345，") == [("plate", "粤BD12345", True)]
    assert kinds("号牌粤B1234港，") == [("plate", "粤B1234港", True)]
    assert kinds("网址http://10.0.0.1:8080/x") == [("ipv4", "10.0.0.1", True)]


# ------------------------------------------- issue 17: USCC with X, IDs taken for codes or cards


@pytest.mark.parametrize("code", ["913301001TP94L0E0X", "91330106300000096X", "52310115MA2000203X"])
def test_uscc_with_check_character_x_is_found_and_masked(code):
    assert identifiers.validate_uscc(code, strict=True) == code
    assert kinds(f"该公司统一社会信用代码{code}，已核验。") == [("uscc", code, True)]
    assert scan_text(f"代码{code}。") == f"代码{code[:8]}********{code[16:]}。"


@pytest.mark.parametrize(
    "number, real_id",
    [
        ("330106198503140020", "330106198503140029"),
        ("110105197211020019", "110105197211020015"),
    ],
)
def test_resident_id_with_wrong_check_digit_is_not_a_valid_uscc(number, real_id):
    identifiers.validate_resident_id(real_id)
    assert identifiers.validate_uscc(number) == number  # passes the mod-31 check alone
    assert kinds(f"申请人身份证号{number}，请核对。") == [("resident_id", number, False)]


def test_resident_id_shaped_number_starting_62_is_a_card_only_when_the_context_says_so():
    number, real_id = "620102199008210017", "620102199008210016"  # 兰州市城关区, check digit wrong
    identifiers.validate_resident_id(real_id)
    assert identifiers.validate_bank_card(number) == number  # passes Luhn
    assert kinds(f"申请人身份证号{number}，请核对。") == [("resident_id", number, False)]
    assert kinds(f"退款请转入银行卡号：{number}。") == [("bank_card", number, True)]


@pytest.mark.parametrize(
    "text",
    ["快递运单号053287654321已签收。", "合同编号075523456789。", "流水号05718765432。"],
)
def test_reference_numbers_starting_0_3_to_9_are_not_landlines(text):
    assert kinds(text) == []


def test_unseparated_landline_with_a_phone_word_before_it_is_found():
    assert kinds("传真：053287654321。") == [("landline", "053287654321", True)]
    assert kinds("联系电话05718765432。") == [("landline", "05718765432", True)]
