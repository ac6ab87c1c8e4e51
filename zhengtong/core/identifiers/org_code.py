"""Organization code (GB 11714-1997)."""

from __future__ import annotations

from zhengtong.core.identifiers._common import _char_error, _fail, _is_digit, _require_length, _text

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
