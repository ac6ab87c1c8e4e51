"""Validators and generators for Chinese identifiers.

Covers the resident ID number (GB 11643-1999), the unified social credit code
(GB 32100-2015), the organization code (GB 11714-1997), mobile numbers, bank
card numbers (Luhn) and civilian licence plates (GA 36-2018). The algorithms
follow shared/reference/datasec.md section (b).

Every public validator takes any object and either returns the normalised
machine form or raises ``IdentifierError``; no other exception escapes, so
callers (forms, API schemas, import jobs) need one ``except`` clause only.

The module is pure Python: Django is optional and only used to translate the
error messages, so it can be imported and tested without settings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

try:
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.translation import gettext_lazy as _
except ImportError:  # pragma: no cover - Django is a project dependency

    class ImproperlyConfigured(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clause in _render stays valid."""

    def _(message: str) -> str:  # type: ignore[misc]
        return message


__all__ = [
    "EARLIEST_BIRTH_DATE",
    "EXTRA_REGION_CODES",
    "PLATE_PROVINCES",
    "PROVINCE_CODES",
    "IdentifierError",
    "ResidentIdInfo",
    "generate_resident_id",
    "generate_uscc",
    "is_unionpay",
    "make_org_code",
    "make_uscc",
    "org_code_check_char",
    "parse_resident_id",
    "resident_id_check_char",
    "upgrade_resident_id_15",
    "uscc_check_char",
    "validate_bank_card",
    "validate_mobile",
    "validate_org_code",
    "validate_plate",
    "validate_resident_id",
    "validate_uscc",
]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

# Message templates, one per rule. They are wrapped in gettext_lazy at import
# time so `makemessages` finds them; they are rendered when an error is raised
# so the message comes out in the language active at that moment.
_MESSAGES: dict[str, Any] = {
    "type": _("value must be text, not %(type)s"),
    "empty": _("value is empty"),
    "length": _("must be %(expected)s characters long, not %(actual)s"),
    "length_range": _("must be %(min)s to %(max)s digits long, not %(actual)s"),
    "char": _("character '%(char)s' at position %(position)s is not allowed: %(rule)s"),
    "checksum": _("check character should be %(expected)s, not %(actual)s"),
    "luhn": _("check digit should be %(expected)s, not %(actual)s (Luhn check)"),
    "birth_date_invalid": _("birth date %(value)s is not a real calendar date"),
    "birth_date_future": _("birth date %(date)s is in the future"),
    "birth_date_too_early": _("birth date %(date)s is before %(earliest)s"),
    "province": _("%(code)s is not a province-level region code"),
    "region_unknown": _("address code %(code)s is not a known GB/T 2260 region code"),
    "sequence": _("sequence number must be an integer from 0 to 999, not %(value)s"),
    "authority": _("registration authority code '%(char)s' is not one of 1-9, A, N, Y (GB 32100)"),
    "uscc_region": _("positions 3-8 (%(code)s) are not a known registration region code (GB 32100)"),
    "uscc_org_code": _(
        "positions 9-17 (%(code)s) are not an organization code with a valid check character (GB 11714)"
    ),
    "mobile_prefix": _("%(prefix)s is not an allocated mobile number prefix"),
    "plate_province": _("'%(char)s' is not a province abbreviation used on licence plates"),
    "plate_io": _("letters I and O are not used on licence plates"),
    "plate_format": _("%(value)s does not match any GA 36-2018 civilian plate format"),
}

# Human descriptions of character rules, used in the "char" message above.
_RULES: dict[str, Any] = {
    "digits": _("only digits 0-9 are allowed here"),
    "id_check": _("the check character must be a digit 0-9 or X"),
    "uscc_alphabet": _("only digits and the letters A-H, J-N, P-R, T, U, W-Y are allowed (GB 32100)"),
    "org_body": _("only digits 0-9 and letters A-Z are allowed"),
    "org_check": _("the check character must be a digit 0-9 or X"),
    "plate_authority": _("the issuing authority must be a letter A-Z other than I and O"),
}


def _render(template: Any, params: Mapping[str, object]) -> str:
    """Translate a message template now and fill in its parameters."""
    try:
        text = str(template)
    except ImproperlyConfigured:
        # Django is installed but settings are not configured (plain pytest,
        # scripts): fall back to the English source text kept by the lazy
        # proxy, so validation never fails just because i18n is unavailable.
        text = str(getattr(template, "_args", (template,))[0])
    return text % params if params else text


class IdentifierError(ValueError):
    """An identifier failed validation.

    ``code`` is a stable machine code (see the list below); ``message`` is a
    human sentence naming the rule that failed; ``params`` holds the values
    used in the message (e.g. ``params["expected"]`` for a check character).

    Codes: ``type``, ``empty``, ``length``, ``format``, ``checksum``,
    ``birth_date``, ``region``, ``authority``, ``prefix``.
    """

    def __init__(self, code: str, message: str, params: Mapping[str, object] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params: dict[str, object] = dict(params or {})

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the error picklable (it may cross a task-queue boundary).
        return (type(self), (self.code, self.message, self.params))


def _fail(code: str, message_key: str, /, **params: object) -> IdentifierError:
    return IdentifierError(code, _render(_MESSAGES[message_key], params), params)


def _char_error(value: str, allowed: Callable[[str], bool], offset: int, rule: str) -> IdentifierError:
    """Error naming the first character of ``value`` that ``allowed`` rejects.

    ``offset`` is the 0-based position of ``value`` in the whole identifier,
    so the message reports 1-based positions in the identifier.
    """
    for index, char in enumerate(value):
        if not allowed(char):
            return _fail(
                "format",
                "char",
                char=char,
                position=offset + index + 1,
                rule=_render(_RULES[rule], {}),
            )
    raise AssertionError("_char_error called on a valid value")  # pragma: no cover


def _text(value: object) -> str:
    """Return ``value`` stripped of surrounding whitespace, or raise."""
    if not isinstance(value, str):
        raise _fail("type", "type", type=type(value).__name__)
    value = value.strip()
    if not value:
        raise _fail("empty", "empty")
    return value


# str.isdigit() and \d accept full-width and other Unicode digits, which
# int() would then happily convert; every character test below is ASCII-only.
_DIGITS = frozenset("0123456789")


def _is_digit(char: str) -> bool:
    return char in _DIGITS


def _all_digits(value: str) -> bool:
    return all(char in _DIGITS for char in value)


def _require_length(value: str, expected: int) -> None:
    if len(value) != expected:
        raise _fail("length", "length", expected=expected, actual=len(value))


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


def _is_known_region(code: str) -> bool:
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
    if not _is_known_region(code):
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
            region[:2] not in PROVINCE_CODES or not _is_known_region(region)
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


# --------------------------------------------------------------------------
# Organization code (GB 11714-1997)
# --------------------------------------------------------------------------

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_VALUES = {char: index for index, char in enumerate(_ORG_BODY_CHARS)}  # A = 10 ... Z = 35


def _in_org_body(char: str) -> bool:
    return char in _ORG_VALUES


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character for the 8 body characters."""
    body = _text(first8).upper()
    _require_length(body, 8)
    if not all(_in_org_body(char) for char in body):
        raise _char_error(body, _in_org_body, 0, "org_body")
    total = sum(_ORG_VALUES[char] * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_org_code(value: object) -> str:
    """Validate an organization code, written ``XXXXXXXX-X`` or without hyphen.

    Returns the 9-character machine form (no hyphen, upper case).
    """
    code = _text(value).upper()
    if len(code) == 10 and code[8] == "-":
        code = code[:8] + code[9]
    _require_length(code, 9)
    if not all(_in_org_body(char) for char in code[:8]):
        raise _char_error(code[:8], _in_org_body, 0, "org_body")
    if not (_is_digit(code[8]) or code[8] == "X"):
        raise _char_error(code[8], lambda c: False, 8, "org_check")
    expected = org_code_check_char(code[:8])
    if code[8] != expected:
        raise _fail("checksum", "checksum", expected=expected, actual=code[8])
    return code


def make_org_code(body8: str) -> str:
    """Append the check character to 8 body characters (machine form)."""
    body = _text(body8).upper()
    return body + org_code_check_char(body)


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
# Licence plates (GA 36-2018)
# --------------------------------------------------------------------------

PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SEPARATORS = "·- "  # written after the 2-character prefix, e.g. 浙A·12345
_PLATE_AUTHORITY = re.compile("[A-HJ-NP-Z]")
# Fully matched after the prefix, so no \b (which treats Han characters as
# word characters). New-energy branches come first: a 5-character branch
# tried first would otherwise accept a prefix of a new-energy plate when the
# pattern is reused with search(). [0-9] rather than \d: \d matches
# full-width digits.
_PLATE_SERIAL = re.compile(
    "[DF][A-HJ-NP-Z0-9][0-9]{4}"  # new-energy, small vehicles
    "|[0-9]{5}[DF]"  # new-energy, large vehicles
    "|[A-HJ-NP-Z0-9]{5}"  # ordinary
    "|[A-HJ-NP-Z0-9]{4}[警学挂港澳]"  # police, learner, trailer, HK, Macao
)


def validate_plate(value: object) -> str:
    """Validate a civilian licence plate and return it without separator.

    Accepts a "·", "-" or space after the province character and authority
    letter (浙A·12345, 浙A 12345); Latin letters are upper-cased.
    """
    plate = _text(value).upper()
    if len(plate) > 2 and plate[2] in _PLATE_SEPARATORS:
        plate = plate[:2] + plate[3:]
    if plate[0] not in PLATE_PROVINCES:
        raise _fail("region", "plate_province", char=plate[0])
    if len(plate) not in (7, 8):
        raise _fail("length", "length", expected="7-8", actual=len(plate))
    serial = plate[2:]
    if "I" in plate[1:] or "O" in plate[1:]:
        raise _fail("format", "plate_io")
    if not _PLATE_AUTHORITY.fullmatch(plate[1]):
        raise _char_error(plate[1], lambda c: False, 1, "plate_authority")
    if not _PLATE_SERIAL.fullmatch(serial):
        raise _fail("format", "plate_format", value=plate)
    return plate
