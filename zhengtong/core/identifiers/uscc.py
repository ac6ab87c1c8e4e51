"""Unified social credit code (GB 32100-2015)."""

from __future__ import annotations

from zhengtong.core.identifiers._common import (
    _all_digits,
    _char_error,
    _fail,
    _is_digit,
    _require_length,
    _text,
)
from zhengtong.core.identifiers.org_code import org_code_check_char
from zhengtong.core.identifiers.resident_id import PROVINCE_CODES, is_known_region

# --------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# --------------------------------------------------------------------------

# 31 characters, values 0-30; I, O, S, V and Z are not used.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {char: index for index, char in enumerate(_USCC_ALPHABET)}
# Wi = 3^(i-1) mod 31 for positions 1-17.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authorities: 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政,
# 6 旅游, 7 宗教, 8 工会, 9 工商, A 军队编制, N 农业, Y 其他.
_USCC_AUTHORITIES = frozenset("123456789ANY")
# Region code of registrations at national level (GB 32100 positions 3-8).
_USCC_NATIONAL_REGION = "100000"


def _in_uscc_alphabet(char: str) -> bool:
    return char in _USCC_VALUES


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters."""
    value = _text(first17).upper()
    _require_length(value, 17)
    if not all(_in_uscc_alphabet(char) for char in value):
        raise _char_error(value, _in_uscc_alphabet, 0, "uscc_alphabet")
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(value, _USCC_WEIGHTS, strict=True))
    # C18 = 31 - (sum mod 31), and 31 becomes 0; "% 31" does both at once.
    # (Indexing alphabet[31 - r] without it overflows when r == 0.)
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: object, *, strict: bool = False) -> str:
    """Validate a unified social credit code and return it upper-cased.

    Checks length, alphabet, registration authority (position 1), that the
    region code (positions 3-8) is digits, and the check character.

    ``strict=True`` also checks the parts as GB 32100 defines them: positions
    3-8 are a known GB/T 2260 region code (or 100000, registrations at national
    level) and positions 9-17 the organization code with its GB 11714 check
    character. Registration forms do not ask for it (codes issued with a
    non-conforming subject identifier stay accepted); the personal-data
    detector does, so that a resident ID whose digits happen to pass the
    mod-31 check is not taken for a valid code.
    """
    code = _text(value).upper()
    _require_length(code, 18)
    if not all(_in_uscc_alphabet(char) for char in code):
        raise _char_error(code, _in_uscc_alphabet, 0, "uscc_alphabet")
    if code[0] not in _USCC_AUTHORITIES:
        raise _fail("authority", "authority", char=code[0])
    if not _all_digits(code[2:8]):
        raise _char_error(code[2:8], _is_digit, 2, "digits")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise _fail("checksum", "checksum", expected=expected, actual=code[17])
    if strict:
        region = code[2:8]
        if region != _USCC_NATIONAL_REGION and (
            region[:2] not in PROVINCE_CODES or not is_known_region(region)
        ):
            raise _fail("region", "uscc_region", code=region)
        if code[16] != org_code_check_char(code[8:16]):
            raise _fail("org_code", "uscc_org_code", code=code[8:17])
    return code


def generate_uscc(first17: str) -> str:
    """Append the check character to 17 characters and validate the result."""
    return validate_uscc(_text(first17).upper() + uscc_check_char(first17))


def make_uscc(authority: str, category: str, region_code: str, org_code9: str) -> str:
    """Assemble a valid USCC from its parts (for demo and test data).

    ``org_code9`` is the 9-character subject identifier (usually the
    organisation code including its check character, without hyphen).
    """
    parts = [_text(authority).upper(), _text(category).upper(), _text(region_code), _text(org_code9).upper()]
    for part, expected in zip(parts, (1, 1, 6, 9), strict=True):
        _require_length(part, expected)
    return generate_uscc("".join(parts))
