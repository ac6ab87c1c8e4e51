"""Validators and generators for Chinese identifiers: what every identifier module shares
(error messages, ``IdentifierError``, character helpers). The package ``__init__`` lists them all.

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

from collections.abc import Callable, Mapping
from typing import Any

try:
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.translation import gettext_lazy as _
except ImportError:  # pragma: no cover - Django is a project dependency

    class ImproperlyConfigured(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clause in _render stays valid."""

    def _(message: str) -> str:  # type: ignore[misc]
        return message

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
