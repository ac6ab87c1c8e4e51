"""Mobile numbers and bank card numbers (ISO/IEC 7812, Luhn)."""

from __future__ import annotations

from zhengtong.core.identifiers._common import (
    IdentifierError,
    _all_digits,
    _char_error,
    _fail,
    _is_digit,
    _require_length,
    _text,
)

# --------------------------------------------------------------------------
# Mobile numbers
# --------------------------------------------------------------------------

# MIIT allocation as of 2023-03 (datasec.md): 3-digit network codes, plus
# 4-digit codes where only part of a 3-digit block is allocated. 140-144 are
# 13-digit IoT numbers and therefore not listed.
_MOBILE_PREFIXES_3 = frozenset(
    {
        # 电信
        "133", "149", "153", "173", "177", "180", "181", "189", "190", "191", "193", "199",
        # 移动 (134 is 1340-1348 plus the 1349 satellite block, so all of 134)
        "134", "135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157",
        "158", "159", "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
        # 联通
        "130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175", "176",
        "185", "186", "196",
        # 广电
        "192",
        # resale (MVNO) and satellite
        "162", "165", "170", "174",
    }
)  # fmt: skip
_MOBILE_PREFIXES_4 = frozenset({"1619"})  # satellite


def validate_mobile(value: object) -> str:
    """Validate a mainland China mobile number and return its 11 digits.

    Spaces and hyphens are ignored, and a leading +86 or 86 country code is
    removed. The 3-digit network code must be allocated by MIIT.
    """
    number = "".join(_text(value).split()).replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not number:
        raise _fail("empty", "empty")
    if not _all_digits(number):
        raise _char_error(number, _is_digit, 0, "digits")
    _require_length(number, 11)
    if number[:3] not in _MOBILE_PREFIXES_3 and number[:4] not in _MOBILE_PREFIXES_4:
        raise _fail("prefix", "mobile_prefix", prefix=number[:3])
    return number


# --------------------------------------------------------------------------
# Bank cards (ISO/IEC 7812, Luhn)
# --------------------------------------------------------------------------


def _card_digits(value: object) -> str:
    # Cards are usually written in groups of four separated by spaces.
    number = "".join(_text(value).split()).replace("-", "")
    if not number:
        raise _fail("empty", "empty")
    if not _all_digits(number):
        raise _char_error(number, _is_digit, 0, "digits")
    return number


def _luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check."""
    total = 0
    # Walking the payload from the right, the first digit sits next to the
    # check digit, so it is the one that gets doubled.
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def validate_bank_card(value: object) -> str:
    """Validate a bank card number (12-19 digits, Luhn) and return its digits."""
    number = _card_digits(value)
    if not 12 <= len(number) <= 19:
        raise _fail("length", "length_range", min=12, max=19, actual=len(number))
    expected = _luhn_check_digit(number[:-1])
    if number[-1] != expected:
        raise _fail("checksum", "luhn", expected=expected, actual=number[-1])
    return number


def is_unionpay(value: object) -> bool:
    """True when the number looks like a UnionPay card: 62 + 16-19 digits total.

    A predicate, so it never raises. The Luhn check is not required: some
    older domestic UnionPay cards do not carry a Luhn check digit.
    """
    try:
        number = _card_digits(value)
    except IdentifierError:
        return False
    return number.startswith("62") and 16 <= len(number) <= 19


# --------------------------------------------------------------------------
