"""Tests for zhengtong.core.identifiers (pure Python, no database)."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from zhengtong.core import identifiers
from zhengtong.core.identifiers import (
    IdentifierError,
    ResidentIdInfo,
    generate_resident_id,
    generate_uscc,
    is_unionpay,
    make_org_code,
    make_uscc,
    org_code_check_char,
    parse_resident_id,
    resident_id_check_char,
    upgrade_resident_id_15,
    uscc_check_char,
    validate_bank_card,
    validate_mobile,
    validate_org_code,
    validate_plate,
    validate_resident_id,
    validate_uscc,
)

# A fixed "today" keeps the future-date tests independent of the clock.
TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def english_messages():
    """Assert on the English source messages even when Django i18n is active.

    Under pytest-django the settings are configured and zh-Hans is the default
    language, so translated messages would otherwise leak into the asserts.
    """
    try:
        from django.conf import settings
        from django.utils import translation
    except ImportError:  # pragma: no cover - Django is a project dependency
        yield
        return
    if not settings.configured:
        yield
        return
    with translation.override("en"):
        yield


def error_of(func, *args, **kwargs) -> IdentifierError:
    with pytest.raises(IdentifierError) as info:
        func(*args, **kwargs)
    return info.value


VALIDATORS = [
    validate_resident_id,
    upgrade_resident_id_15,
    parse_resident_id,
    validate_uscc,
    validate_org_code,
    validate_mobile,
    validate_bank_card,
    validate_plate,
    resident_id_check_char,
    uscc_check_char,
    org_code_check_char,
    make_org_code,
    generate_uscc,
]


# ---------------------------------------------------------------- the error


def test_identifier_error_is_a_value_error_with_code_message_and_params():
    error = error_of(validate_resident_id, "110105194912310023")
    assert isinstance(error, ValueError)
    assert error.code == "checksum"
    assert error.message == "check character should be X, not 3"
    assert str(error) == "check character should be X, not 3"
    assert error.params == {"expected": "X", "actual": "3"}


def test_identifier_error_survives_pickling():
    error = pickle.loads(pickle.dumps(IdentifierError("length", "too short", {"actual": 3})))
    assert (error.code, error.message, error.params) == ("length", "too short", {"actual": 3})


@pytest.mark.parametrize("func", VALIDATORS)
@pytest.mark.parametrize("value", [None, 123, 11010519491231002, 1.5, b"11010519491231002X", ["x"], object()])
def test_non_text_input_raises_type_error_code(func, value):
    error = error_of(func, value)
    assert error.code == "type"
    assert error.message == f"value must be text, not {type(value).__name__}"


@pytest.mark.parametrize("func", VALIDATORS)
@pytest.mark.parametrize("value", ["", "   ", "\u3000", "\t\n"])
def test_empty_input_raises_empty_code(func, value):
    error = error_of(func, value)
    assert error.code == "empty"
    assert error.message == "value is empty"


@pytest.mark.parametrize("func", VALIDATORS)
@pytest.mark.parametrize(
    "value",
    [
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width ID
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width USCC
        "１３８１２３４５６７８",  # full-width mobile
        "浙Ａ１２３４５",  # full-width plate
        "\x00\x01",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧",  # Arabic-Indic digits: str.isdigit() is True
        "😀" * 18,
    ],
)
def test_any_odd_text_raises_identifier_error_only(func, value):
    with pytest.raises(IdentifierError):
        func(value)


# ---------------------------------------------------------- resident ID


@pytest.mark.parametrize(
    "value, expected",
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),  # lower-case x normalised
        ("  11010519491231002X\n", "11010519491231002X"),  # surrounding space stripped
        ("440524188001010014", "440524188001010014"),  # GB 11643 worked example
        ("330106199005171230", "330106199005171230"),  # Hangzhou Xihu district
        ("330106199005171249", "330106199005171249"),
        ("440524198001010013", "440524198001010013"),
        ("110105200002290013", "110105200002290013"),  # 29 Feb in a leap year
        ("33010019900101001X", "33010019900101001X"),  # city-level code xxxx00
        ("810000199001010027", "810000199001010027"),  # Hong Kong residence permit
        ("710000199001010031", "710000199001010031"),  # Taiwan, province level
    ],
)
def test_validate_resident_id_accepts_valid_numbers(value, expected):
    assert validate_resident_id(value, today=TODAY) == expected


@pytest.mark.parametrize(
    "value, code, message",
    [
        ("110105194912310023", "checksum", "check character should be X, not 3"),
        ("11010519491231002", "length", "must be 18 characters long, not 17"),
        ("11010519491231002X1", "length", "must be 18 characters long, not 19"),
        ("110105491231002", "length", "must be 18 characters long, not 15"),
        (
            "1101051949123100AX",
            "format",
            "character 'A' at position 17 is not allowed: only digits 0-9 are allowed here",
        ),
        (
            "11010519491231002Y",
            "format",
            "character 'Y' at position 18 is not allowed: the check character must be a digit 0-9 or X",
        ),
        (
            "110105 9491231002X",
            "format",
            "character ' ' at position 7 is not allowed: only digits 0-9 are allowed here",
        ),
        ("330106199002301239", "birth_date", "birth date 19900230 is not a real calendar date"),
        ("110105190002290017", "birth_date", "birth date 19000229 is not a real calendar date"),
        ("330106203001011239", "birth_date", "birth date 2030-01-01 is in the future"),
        ("110105179912310024", "birth_date", "birth date 1799-12-31 is before 1800-01-01"),
        ("990106199001011232", "region", "99 is not a province-level region code"),
        ("110199199001011232", "region", "address code 110199 is not a known GB/T 2260 region code"),
    ],
)
def test_validate_resident_id_failures(value, code, message):
    error = error_of(validate_resident_id, value, today=TODAY)
    assert (error.code, error.message) == (code, message)


@pytest.mark.parametrize(
    "value, expected_char",
    [
        ("110105194912310023", "X"),
        ("110105194912310020", "X"),
        ("44052418800101001X", "4"),
        ("330106199005171231", "0"),
        ("330106199005171240", "9"),
    ],
)
def test_wrong_check_character_names_the_expected_one(value, expected_char):
    error = error_of(validate_resident_id, value, today=TODAY)
    assert error.code == "checksum"
    assert error.params["expected"] == expected_char
    assert f"should be {expected_char}, not {value[-1]}" in error.message


def test_future_date_depends_on_today():
    assert validate_resident_id("330106203001011239", today=date(2030, 1, 1)) == "330106203001011239"
    assert error_of(validate_resident_id, "330106203001011239", today=date(2029, 12, 31)).code == "birth_date"


def test_birth_date_today_defaults_to_the_system_date():
    # Born 2030: in the future for as long as this test suite is maintained.
    assert error_of(validate_resident_id, "330106203001011239").code == "birth_date"
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"


@pytest.mark.parametrize(
    "first17, expected",
    [
        ("11010519491231002", "X"),  # remainder 2
        ("44052418800101001", "4"),
        ("33010619900517123", "0"),
        ("33010019900101001", "X"),
        ("81000019900101002", "7"),
    ],
)
def test_resident_id_check_char(first17, expected):
    assert resident_id_check_char(first17) == expected


@pytest.mark.parametrize(
    "first17, code",
    [("1101051949123100", "length"), ("11010519491231002X", "length"), ("1101051949123100X", "format")],
)
def test_resident_id_check_char_rejects_bad_input(first17, code):
    assert error_of(resident_id_check_char, first17).code == code


def test_extra_region_codes_can_be_extended(monkeypatch):
    assert error_of(validate_resident_id, "110199199001011232", today=TODAY).code == "region"
    monkeypatch.setattr(identifiers.resident_id, "EXTRA_REGION_CODES", {"440524", "110199"})
    assert validate_resident_id("110199199001011232", today=TODAY) == "110199199001011232"


def test_without_stdnum_table_only_the_province_is_checked(monkeypatch):
    monkeypatch.setattr(identifiers.resident_id, "_gb2260_lookup", lambda: None)
    assert validate_resident_id("110199199001011232", today=TODAY) == "110199199001011232"
    error = error_of(validate_resident_id, "990106199001011232", today=TODAY)
    assert (error.code, error.message) == ("region", "99 is not a province-level region code")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("110105491231002", "11010519491231002X"),
        (" 330106900517123 ", "330106199005171230"),
        ("440524800101001", "440524198001010013"),
    ],
)
def test_upgrade_resident_id_15(value, expected):
    assert upgrade_resident_id_15(value, today=TODAY) == expected


@pytest.mark.parametrize(
    "value, code",
    [
        ("11010549123100", "length"),
        ("11010519491231002X", "length"),
        ("11010549123100X", "format"),
        ("110105490230002", "birth_date"),
        ("990105491231002", "region"),
    ],
)
def test_upgrade_resident_id_15_failures(value, code):
    assert error_of(upgrade_resident_id_15, value, today=TODAY).code == code


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "11010519491231002X",
            ResidentIdInfo(region_code="110105", birth_date=date(1949, 12, 31), sex="F", check_char="X"),
        ),
        (
            "440524188001010014",
            ResidentIdInfo(region_code="440524", birth_date=date(1880, 1, 1), sex="M", check_char="4"),
        ),
        (
            "330106199005171230",
            ResidentIdInfo(region_code="330106", birth_date=date(1990, 5, 17), sex="M", check_char="0"),
        ),
        (
            "330106199005171249",
            ResidentIdInfo(region_code="330106", birth_date=date(1990, 5, 17), sex="F", check_char="9"),
        ),
    ],
)
def test_parse_resident_id(value, expected):
    assert parse_resident_id(value, today=TODAY) == expected


def test_parse_resident_id_validates_first():
    assert error_of(parse_resident_id, "110105194912310023").code == "checksum"


@pytest.mark.parametrize(
    "region, birth, seq, expected",
    [
        ("330106", date(1990, 5, 17), 123, "330106199005171230"),
        ("330106", date(1990, 5, 17), 124, "330106199005171249"),
        ("110105", date(1949, 12, 31), 2, "11010519491231002X"),
        ("440524", date(1880, 1, 1), 1, "440524188001010014"),
        ("330100", date(2000, 2, 29), 0, "330100200002290004"),
        ("330106", date(1985, 10, 1), 999, "330106198510019999"),
    ],
)
def test_generate_resident_id(region, birth, seq, expected):
    assert generate_resident_id(region, birth, seq) == expected
    assert validate_resident_id(expected) == expected


@pytest.mark.parametrize(
    "region, birth, seq, code",
    [
        ("330106", date(1990, 5, 17), 1000, "format"),
        ("330106", date(1990, 5, 17), -1, "format"),
        ("330106", date(1990, 5, 17), True, "format"),
        ("330106", date(1990, 5, 17), "123", "format"),
        ("33010", date(1990, 5, 17), 1, "length"),
        ("3301A6", date(1990, 5, 17), 1, "format"),
        ("990106", date(1990, 5, 17), 1, "region"),
        ("330106", "1990-05-17", 1, "type"),
        ("330106", date(2999, 1, 1), 1, "birth_date"),
    ],
)
def test_generate_resident_id_rejects_bad_parts(region, birth, seq, code):
    assert error_of(generate_resident_id, region, birth, seq).code == code


# -------------------------------------------------------------------- USCC


@pytest.mark.parametrize(
    "value, expected",
    [
        ("91350100M000100Y43", "91350100M000100Y43"),  # GB 32100 worked example
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 91350100M000100Y43 ", "91350100M000100Y43"),
        ("91330106MA00004020", "91330106MA00004020"),  # check character 0 (31 -> 0)
        ("52110000000000211Y", "52110000000000211Y"),
        ("Y1330100123456788T", "Y1330100123456788T"),
        ("91330106MA2B3C4D11", "91330106MA2B3C4D11"),
    ],
)
def test_validate_uscc_accepts_valid_codes(value, expected):
    assert validate_uscc(value) == expected


@pytest.mark.parametrize(
    "value, code, message",
    [
        ("91350100M000100Y44", "checksum", "check character should be 3, not 4"),
        ("91350100M000100Y4", "length", "must be 18 characters long, not 17"),
        ("91350100M000100Y433", "length", "must be 18 characters long, not 19"),
        (
            "B1350100M000100Y43",
            "authority",
            "registration authority code 'B' is not one of 1-9, A, N, Y (GB 32100)",
        ),
        (
            "01350100M000100Y43",
            "authority",
            "registration authority code '0' is not one of 1-9, A, N, Y (GB 32100)",
        ),
        (
            "913501A0M000100Y43",
            "format",
            "character 'A' at position 7 is not allowed: only digits 0-9 are allowed here",
        ),
    ],
)
def test_validate_uscc_failures(value, code, message):
    error = error_of(validate_uscc, value)
    assert (error.code, error.message) == (code, message)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
@pytest.mark.parametrize("position", [2, 9, 18])
def test_validate_uscc_rejects_letters_outside_the_alphabet(letter, position):
    value = "91350100M000100Y43"
    value = value[: position - 1] + letter + value[position:]
    error = error_of(validate_uscc, value)
    assert error.code == "format"
    assert error.message == (
        f"character '{letter}' at position {position} is not allowed: "
        "only digits and the letters A-H, J-N, P-R, T, U, W-Y are allowed (GB 32100)"
    )


@pytest.mark.parametrize(
    "first17, expected",
    [
        ("91350100M000100Y4", "3"),
        ("91330106MA0000402", "0"),
        ("00000000000000000", "0"),  # sum 0: 31 - 0 = 31 -> 0, no index overflow
        ("52110000000000211", "Y"),
        ("Y1330100123456788", "T"),
    ],
)
def test_uscc_check_char(first17, expected):
    assert uscc_check_char(first17) == expected


def test_generate_uscc_appends_the_check_character():
    assert generate_uscc("91350100M000100Y4") == "91350100M000100Y43"
    assert error_of(generate_uscc, "B1350100M000100Y4").code == "authority"


@pytest.mark.parametrize(
    "parts, expected",
    [
        (("9", "1", "350100", "M000100Y4"), "91350100M000100Y43"),
        (("9", "1", "330106", "MA2B3C4D1"), "91330106MA2B3C4D11"),
        (("Y", "1", "330100", "123456788"), "Y1330100123456788T"),
        (("5", "2", "110000", "000000211"), "52110000000000211Y"),
    ],
)
def test_make_uscc(parts, expected):
    assert make_uscc(*parts) == expected


@pytest.mark.parametrize(
    "parts, code",
    [
        (("91", "1", "350100", "M000100Y4"), "length"),
        (("9", "1", "35010", "M000100Y4"), "length"),
        (("9", "1", "350100", "M000100Y"), "length"),
        (("B", "1", "350100", "M000100Y4"), "authority"),
        (("9", "I", "350100", "M000100Y4"), "format"),
        (("9", "1", "35010A", "M000100Y4"), "format"),
        ((None, "1", "350100", "M000100Y4"), "type"),
    ],
)
def test_make_uscc_rejects_bad_parts(parts, code):
    assert error_of(make_uscc, *parts).code == code


# -------------------------------------------------------- organization code


@pytest.mark.parametrize(
    "value, expected",
    [
        ("M000100Y4", "M000100Y4"),  # positions 9-17 of the USCC example
        ("M000100Y-4", "M000100Y4"),
        ("m000100y-4", "M000100Y4"),
        ("D2143569X", "D2143569X"),  # check 10 -> X
        ("D2143569-x", "D2143569X"),
        ("000000000", "000000000"),  # check 11 -> 0
        ("12345678-8", "123456788"),
    ],
)
def test_validate_org_code_accepts_with_and_without_hyphen(value, expected):
    assert validate_org_code(value) == expected


@pytest.mark.parametrize(
    "value, code, message",
    [
        ("M000100Y-5", "checksum", "check character should be 4, not 5"),
        ("D21435690", "checksum", "check character should be X, not 0"),
        ("M000100Y", "length", "must be 9 characters long, not 8"),
        ("M000100-Y4", "length", "must be 9 characters long, not 10"),
        ("M000100Y44", "length", "must be 9 characters long, not 10"),
        (
            "M0001_0Y4",
            "format",
            "character '_' at position 6 is not allowed: only digits 0-9 and letters A-Z are allowed",
        ),
        (
            "M000100YA",
            "format",
            "character 'A' at position 9 is not allowed: the check character must be a digit 0-9 or X",
        ),
    ],
)
def test_validate_org_code_failures(value, code, message):
    error = error_of(validate_org_code, value)
    assert (error.code, error.message) == (code, message)


@pytest.mark.parametrize(
    "body, expected",
    [("M000100Y", "4"), ("D2143569", "X"), ("00000000", "0"), ("12345678", "8"), ("MA2B3C4D", "1")],
)
def test_org_code_check_char_and_make_org_code(body, expected):
    assert org_code_check_char(body) == expected
    assert make_org_code(body) == body + expected


# ------------------------------------------------------------------ mobile


@pytest.mark.parametrize(
    "value, expected",
    [
        ("13812345678", "13812345678"),
        ("19212345678", "19212345678"),  # 广电
        ("13012345678", "13012345678"),
        ("14912345678", "14912345678"),
        ("16612345678", "16612345678"),
        ("17012345678", "17012345678"),  # resale
        ("17412345678", "17412345678"),  # satellite
        ("13491234567", "13491234567"),  # 1349 satellite
        ("16191234567", "16191234567"),  # 1619 satellite
        ("19912345678", "19912345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        (" 86-138-1234-5678 ", "13812345678"),
    ],
)
def test_validate_mobile_accepts_allocated_numbers(value, expected):
    assert validate_mobile(value) == expected


@pytest.mark.parametrize(
    "value, prefix",
    [
        ("12012345678", "120"),
        ("10012345678", "100"),
        ("11012345678", "110"),
        ("14012345678", "140"),  # IoT numbers are 13 digits
        ("15412345678", "154"),
        ("16012345678", "160"),
        ("16112345678", "161"),  # only 1619 is allocated
        ("16312345678", "163"),
        ("17912345678", "179"),
        ("19412345678", "194"),
        ("23812345678", "238"),
    ],
)
def test_validate_mobile_rejects_unallocated_prefixes(value, prefix):
    error = error_of(validate_mobile, value)
    assert (error.code, error.message) == ("prefix", f"{prefix} is not an allocated mobile number prefix")


@pytest.mark.parametrize(
    "value, code, message",
    [
        ("1381234567", "length", "must be 11 characters long, not 10"),
        ("138123456789", "length", "must be 11 characters long, not 12"),
        ("+86138123456", "length", "must be 11 characters long, not 9"),
        ("+86", "empty", "value is empty"),
        (
            "138a2345678",
            "format",
            "character 'a' at position 4 is not allowed: only digits 0-9 are allowed here",
        ),
        (
            "(0571)12345678",
            "format",
            "character '(' at position 1 is not allowed: only digits 0-9 are allowed here",
        ),
    ],
)
def test_validate_mobile_failures(value, code, message):
    error = error_of(validate_mobile, value)
    assert (error.code, error.message) == (code, message)


# --------------------------------------------------------------- bank cards


@pytest.mark.parametrize(
    "value, expected",
    [
        ("4111111111111111", "4111111111111111"),
        ("4111 1111 1111 1111", "4111111111111111"),
        ("6011-0009-9013-9424", "6011000990139424"),
        ("6200000000000005", "6200000000000005"),
        ("622200000000000017", "622200000000000017"),
        ("6217000000000000004", "6217000000000000004"),  # 19 digits
        ("123456789015", "123456789015"),  # 12 digits
    ],
)
def test_validate_bank_card_accepts_luhn_valid_numbers(value, expected):
    assert validate_bank_card(value) == expected


@pytest.mark.parametrize(
    "value, code, message",
    [
        ("4111111111111112", "checksum", "check digit should be 1, not 2 (Luhn check)"),
        ("6217000000000000000", "checksum", "check digit should be 4, not 0 (Luhn check)"),
        ("79927398713", "length", "must be 12 to 19 digits long, not 11"),
        ("62170000000000000004", "length", "must be 12 to 19 digits long, not 20"),
        (
            "4111x11111111111",
            "format",
            "character 'x' at position 5 is not allowed: only digits 0-9 are allowed here",
        ),
        ("- -", "empty", "value is empty"),
    ],
)
def test_validate_bank_card_failures(value, code, message):
    error = error_of(validate_bank_card, value)
    assert (error.code, error.message) == (code, message)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("6200000000000005", True),
        ("6222 0000 0000 0000 17", True),
        ("6217000000000000004", True),
        ("6217000000000000000", True),  # Luhn is not required for UnionPay detection
        ("4111111111111111", False),
        ("620000000005", False),  # 12 digits
        ("62170000000000000004", False),  # 20 digits
        ("6311111111111111", False),
        ("62ab", False),
        ("", False),
        (None, False),
        (6200000000000005, False),
    ],
)
def test_is_unionpay(value, expected):
    assert is_unionpay(value) is expected


# ------------------------------------------------------------------ plates


@pytest.mark.parametrize(
    "value, expected",
    [
        ("浙A12345", "浙A12345"),  # ordinary
        ("浙AB1234", "浙AB1234"),
        ("浙a12345", "浙A12345"),
        ("京A·12345", "京A12345"),
        ("京A-12345", "京A12345"),
        ("京A 12345", "京A12345"),
        (" 粤B12345 ", "粤B12345"),
        ("京AD12345", "京AD12345"),  # new-energy small, pure electric
        ("沪AF12345", "沪AF12345"),  # new-energy small, non-pure electric
        ("浙AD A1234".replace(" ", ""), "浙ADA1234"),
        ("粤B12345D", "粤B12345D"),  # new-energy large
        ("粤B·12345F", "粤B12345F"),
        ("浙A1234警", "浙A1234警"),
        ("浙A·1234学", "浙A1234学"),
        ("浙A1234挂", "浙A1234挂"),
        ("粤Z1234港", "粤Z1234港"),
        ("粤Z1234澳", "粤Z1234澳"),
    ],
)
def test_validate_plate_accepts_civilian_plates(value, expected):
    assert validate_plate(value) == expected


@pytest.mark.parametrize(
    "value, code, message",
    [
        ("浙A1234I", "format", "letters I and O are not used on licence plates"),
        ("浙AO2345", "format", "letters I and O are not used on licence plates"),
        ("浙IA2345", "format", "letters I and O are not used on licence plates"),
        ("台A12345", "region", "'台' is not a province abbreviation used on licence plates"),
        ("A12345", "region", "'A' is not a province abbreviation used on licence plates"),
        ("浙A1234", "length", "must be 7-8 characters long, not 6"),
        ("浙A123456", "format", "浙A123456 does not match any GA 36-2018 civilian plate format"),
        ("浙AD1234X", "format", "浙AD1234X does not match any GA 36-2018 civilian plate format"),
        ("浙A12345X", "format", "浙A12345X does not match any GA 36-2018 civilian plate format"),
        ("浙AA1234警", "format", "浙AA1234警 does not match any GA 36-2018 civilian plate format"),
        ("浙A·1234", "length", "must be 7-8 characters long, not 6"),
        (
            "浙112345",
            "format",
            "character '1' at position 2 is not allowed: "
            "the issuing authority must be a letter A-Z other than I and O",
        ),
        ("浙A·12·345", "format", "浙A12·345 does not match any GA 36-2018 civilian plate format"),
        ("浙", "length", "must be 7-8 characters long, not 1"),
    ],
)
def test_validate_plate_failures(value, code, message):
    error = error_of(validate_plate, value)
    assert (error.code, error.message) == (code, message)


# ------------------------------------------------------- translation hooks


def test_messages_are_translatable_templates():
    # gettext_lazy proxies when Django is importable, so makemessages finds them.
    pytest.importorskip("django")
    from django.utils.functional import Promise

    assert all(isinstance(template, Promise) for template in identifiers._common._MESSAGES.values())


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y43",  # GB 32100 worked example: region 350100, org code M000100Y-4
        "913301001TP94L0E0X",  # check character X
        "91330106300000096X",
        "52310115MA2000203X",
        "11100000000013127D",  # national level: region 100000
    ],
)
def test_validate_uscc_strict_accepts_conforming_parts(value):
    assert validate_uscc(value, strict=True) == value


@pytest.mark.parametrize(
    "value, code, message",
    [
        # a resident ID whose last digit was replaced by the USCC check character
        (
            "330106198503140020",
            "region",
            "positions 3-8 (010619) are not a known registration region code (GB 32100)",
        ),
        (
            "91330106MA27XL8T0T",
            "org_code",
            "positions 9-17 (MA27XL8T0) are not an organization code with a valid check character (GB 11714)",
        ),
    ],
)
def test_validate_uscc_strict_checks_region_and_org_code(value, code, message):
    assert validate_uscc(value) == value  # the mod-31 check alone holds
    error = error_of(validate_uscc, value, strict=True)
    assert (error.code, error.message) == (code, message)
