"""Resident ID number (GB 11643-1999)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from zhengtong.core.identifiers._common import (
    _all_digits,
    _char_error,
    _fail,
    _is_digit,
    _require_length,
    _text,
)

# --------------------------------------------------------------------------
# Resident ID number (GB 11643-1999)
# --------------------------------------------------------------------------

# ISO 7064 MOD 11-2: Wi = 2^(18-i) mod 11 for positions 1-17.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK_CHARS = "10X98765432"

# Province-level codes of GB/T 2260, including Taiwan (71) and the HK/Macao/
# Taiwan residence-permit codes (81, 82, 83).
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",  # 华北
        "21", "22", "23",  # 东北
        "31", "32", "33", "34", "35", "36", "37",  # 华东
        "41", "42", "43", "44", "45", "46",  # 中南
        "50", "51", "52", "53", "54",  # 西南
        "61", "62", "63", "64", "65",  # 西北
        "71", "81", "82", "83",  # 台湾, 香港, 澳门, and the 83 residence-permit code
    }
)  # fmt: skip

# Address codes accepted even though python-stdnum's table does not list them.
# The project may add codes (e.g. new counties) at start-up. 440524 is the
# address code of GB 11643's own worked example 440524188001010014.
EXTRA_REGION_CODES: set[str] = {"440524"}

# Residence permits for Hong Kong, Macao and Taiwan residents.
_PERMIT_REGION_CODES = frozenset({"810000", "820000", "830000"})

# GB 11643 allows the centuries 18, 19 and 20 in the birth date, and the
# standard's own example (440524188001010014) was born in 1880: the first
# cards (1984) were issued to people born in the 1880s. A 1900 bound would
# reject that example, so the earliest accepted date is 1800-01-01.
EARLIEST_BIRTH_DATE = date(1800, 1, 1)


@functools.cache
def _gb2260_lookup() -> Callable[[str], bool] | None:
    """Return a predicate "is this a known county-level code", or None.

    python-stdnum ships the historical GB/T 2260 table as stdnum/cn/loc.dat,
    loaded through stdnum.numdb. It is optional: without it only the province
    prefix is checked.
    """
    try:
        from stdnum import numdb

        table = numdb.get("cn/loc")
    except (ImportError, OSError):
        return None

    def known(code: str) -> bool:
        # info("110105") -> [("11", {"province": ...}), ("0105", {"county": ...})];
        # an unknown county part comes back with empty properties.
        parts = table.info(code)
        return len(parts) == 2 and "county" in parts[1][1]

    return known


def is_known_region(code: str) -> bool:
    if code in EXTRA_REGION_CODES or code in _PERMIT_REGION_CODES:
        return True
    # Province-level (xx0000) and prefecture-level (xxxx00) codes are valid
    # address codes for people registered directly under a city.
    if code.endswith("00"):
        return True
    lookup = _gb2260_lookup()
    # stdnum marks counties with year ranges ("[1983-1993]潮阳县"). They are
    # deliberately ignored: the code records where the person was first
    # registered, which need not match the birth year, and a number issued
    # under an abolished code stays valid. (Honouring the ranges is why
    # stdnum.cn.ric rejects 440524188001010014.)
    return True if lookup is None else lookup(code)


def resident_id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 digits."""
    value = _text(first17)
    _require_length(value, 17)
    if not _all_digits(value):
        raise _char_error(value, _is_digit, 0, "digits")
    total = sum(int(char) * weight for char, weight in zip(value, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK_CHARS[total % 11]


def _check_birth_date(digits: str, today: date | None) -> date:
    try:
        birth = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise _fail("birth_date", "birth_date_invalid", value=digits) from None
    if birth > (today or date.today()):
        raise _fail("birth_date", "birth_date_future", date=birth.isoformat())
    if birth < EARLIEST_BIRTH_DATE:
        raise _fail(
            "birth_date",
            "birth_date_too_early",
            date=birth.isoformat(),
            earliest=EARLIEST_BIRTH_DATE.isoformat(),
        )
    return birth


def _check_region(code: str) -> None:
    if code[:2] not in PROVINCE_CODES:
        raise _fail("region", "province", code=code[:2])
    if not is_known_region(code):
        raise _fail("region", "region_unknown", code=code)


def validate_resident_id(value: object, *, today: date | None = None) -> str:
    """Validate an 18-character resident ID number and return it normalised.

    Normalisation strips surrounding whitespace and upper-cases a final x.
    Checks, in order: length, characters, check character, birth date (real,
    not in the future, not before EARLIEST_BIRTH_DATE), and region (province
    prefix, then a known GB/T 2260 address code). ``today`` fixes "now" for
    the future-date check (defaults to the system date).
    """
    number = _text(value).upper()
    _require_length(number, 18)
    if not _all_digits(number[:17]):
        raise _char_error(number[:17], _is_digit, 0, "digits")
    if number[17] not in _RESIDENT_ID_CHECK_CHARS:
        raise _char_error(number[17], lambda c: False, 17, "id_check")
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise _fail("checksum", "checksum", expected=expected, actual=number[17])
    _check_birth_date(number[6:14], today)
    _check_region(number[:6])
    return number


def upgrade_resident_id_15(value: object, *, today: date | None = None) -> str:
    """Convert an old 15-digit number (GB 11643-1989) to the 18-character form.

    The old form has a 2-digit year and no check character: "19" is inserted
    before the year and the check character appended. The result is fully
    validated and returned.
    """
    number = _text(value)
    _require_length(number, 15)
    if not _all_digits(number):
        raise _char_error(number, _is_digit, 0, "digits")
    first17 = number[:6] + "19" + number[6:]
    return validate_resident_id(first17 + resident_id_check_char(first17), today=today)


@dataclass(frozen=True)
class ResidentIdInfo:
    """What a valid resident ID number says about its holder."""

    region_code: str
    birth_date: date
    sex: Literal["M", "F"]
    check_char: str


def parse_resident_id(value: object, *, today: date | None = None) -> ResidentIdInfo:
    """Validate a resident ID number and decode its parts.

    The sequence number (positions 15-17) is odd for men and even for women.
    """
    number = validate_resident_id(value, today=today)
    return ResidentIdInfo(
        region_code=number[:6],
        birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex="M" if int(number[14:17]) % 2 else "F",
        check_char=number[17],
    )


def generate_resident_id(region_code: str, birth: date, seq: int) -> str:
    """Build a valid resident ID number (for demo and test data).

    ``seq`` is the 3-digit sequence number, 0-999 (odd = male). The result is
    validated, so an unknown region or a future birth date raises.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 999:
        raise _fail("format", "sequence", value=repr(seq))
    if not isinstance(birth, date):
        raise _fail("type", "type", type=type(birth).__name__)
    region = _text(region_code)
    _require_length(region, 6)
    if not _all_digits(region):
        raise _char_error(region, _is_digit, 0, "digits")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return validate_resident_id(first17 + resident_id_check_char(first17))
