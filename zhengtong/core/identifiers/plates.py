"""Civilian licence plates (GA 36-2018)."""

from __future__ import annotations

import re

from zhengtong.core.identifiers._common import _char_error, _fail, _text

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
