"""Detectors for Chinese personal identifiers in free text.

One compiled regular expression finds every candidate in a single pass over the text; a small
resolver then validates each candidate with the algorithms of ``zhengtong.core.identifiers``
(GB 11643 check character, GB 32100 mod 31, GB 11714, Luhn, MIIT mobile prefixes, GA 36 plates)
and ``ipaddress``. A candidate with the shape of an identifier but a failing check (wrong check
character, unallocated prefix, ...) is reported as *suspected* (``valid=False``) and still masked.

No pattern uses ``\\b``: Python treats Han characters as word characters, so ``\\b`` finds no
boundary in ``身份证号11010519491231002X`` (shared/reference/datasec.md, section c). Every pattern
is bounded by ASCII lookarounds ``(?<![0-9A-Za-z])`` / ``(?![0-9A-Za-z])`` instead.

Hot path: the resident-ID check is done inline (checksum, birth date, region prefix with a cached
GB/T 2260 lookup) because the general validator, which builds error messages, costs ~20 µs per
call; ``tests/test_detectors.py`` cross-checks both on many generated numbers.
"""

from __future__ import annotations

import functools
import ipaddress
import operator
import re
from datetime import date
from typing import NamedTuple

from zhengtong.core import identifiers
from zhengtong.core.identifiers import IdentifierError

__all__ = ["KINDS", "Finding", "detect", "mask_finding", "scan_text", "scan_text_with_findings"]

KINDS = (
    "resident_id",
    "uscc",
    "org_code",
    "bank_card",
    "mobile",
    "landline",
    "email",
    "ipv4",
    "ipv6",
    "plate",
    "passport",
    "hk_macao_permit",
)


class Finding(NamedTuple):
    """One identifier found in a text: ``text[start:end] == value``; ``valid=False`` = suspected."""

    kind: str
    start: int
    end: int
    value: str
    valid: bool

    @property
    def masked(self) -> str:
        return _mask_original(self.kind, _ascii_view(self.value), self.value)

    @property
    def label(self) -> str:
        return self.kind if self.valid else f"{self.kind} (suspected)"


# --------------------------------------------------------------------------
# The combined pattern
# --------------------------------------------------------------------------

_PROV = identifiers.PLATE_PROVINCES
_NA = r"(?![0-9A-Za-z])"  # not followed by an ASCII letter or digit
# Every alternative below starts AFTER one character consumed by the leading class, so the regex
# engine can skip from candidate character to candidate character in C (a "charset prefix"), which
# makes the scan about twice as fast on Chinese text. ``(?<=X)`` re-checks that first character
# per alternative and ``(?<!Y.)`` is the left boundary (the character before the match is not Y).
# The empty named groups only mark which alternative matched (``match.lastgroup``).
_NB = r"(?<![0-9A-Za-z].)"  # the character before the match is not an ASCII letter or digit
_MOB = r"1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}"
_SUB = r"[0-9]{7,8}(?:-[0-9]{1,5})?"
_HEX = "[0-9A-Fa-f]"

_PATTERN = re.compile(
    rf"[0-9A-Za-z+(（:{_PROV}](?:"
    + "|".join(
        [
            # e-mail first: a local part may be all digits (13812345678@qq.com)
            r"(?P<email>)(?<=[A-Za-z0-9])(?<![A-Za-z0-9._%+\-].)[A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+"
            r"(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
            # IPv4: four dotted octets, not part of a longer dotted number
            r"(?P<ipv4>)(?<=[0-9])(?<![0-9.].)[0-9]{0,2}\.(?:[0-9]{1,3}\.){2}[0-9]{1,3}(?![0-9]|\.[0-9])",
            # IPv6: at least two colons; validated with ipaddress
            rf"(?P<ipv6>)(?<![0-9A-Za-z:].)(?:(?<=:)|(?<={_HEX}){_HEX}{{0,3}}:)(?:{_HEX}{{0,4}}:){{1,6}}"
            rf"(?:(?:[0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}|{_HEX}{{1,4}})?(?![0-9A-Za-z:]|\.[0-9])",
            # plates: province + authority + separator? + serial (new-energy 6 before ordinary 5)
            rf"(?P<plate>)(?<=[{_PROV}])[A-Z][·\- ]?(?:[A-Z0-9]{{6}}|[A-Z0-9]{{5}}|[A-Z0-9]{{4}}[警学挂港澳]){_NA}",
            # mobile with a country code or with separators: +86 138 1234 5678, 138-1234-5678
            rf"(?P<mobile>)(?:(?<=\+)86[ \-]?{_MOB}|(?<=8)(?<![0-9A-Za-z+].)6[ \-]{_MOB}"
            rf"|(?<=1){_NB}[3-9][0-9][ \-][0-9]{{4}}[ \-][0-9]{{4}}){_NA}",
            # landline with area code in brackets or followed by a hyphen, optional extension
            rf"(?P<landline>)(?:(?<=\(){_NB}0[1-9][0-9]{{1,2}}\)[ ]?{_SUB}|(?<=（)0[1-9][0-9]{{1,2}}）{_SUB}"
            rf"|(?<=0){_NB}[1-9][0-9]{{1,2}}-{_SUB}){_NA}",
            # organization code written with its hyphen
            rf"(?P<org>)(?<=[0-9A-Z]){_NB}[0-9A-Z]{{7}}-[0-9X]{_NA}",
            # bank card written in groups of four
            rf"(?P<card>)(?<=[0-9]){_NB}[0-9]{{3}}(?:[ \-][0-9]{{4}}){{3}}(?:[ \-]?[0-9]{{1,3}})?{_NA}",
            # every other token of 9-19 ASCII digits / capitals: resolved by length and content
            rf"(?P<tok>)(?<=[0-9A-Z]){_NB}(?:(?<=[0-9])[0-9]{{16}}[Xx]|[0-9A-Z]{{8,18}}){_NA}",
        ]
    )
    + ")",
    re.DOTALL,
)

# --------------------------------------------------------------------------
# Validation helpers (fast paths; see the module docstring)
# --------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DIGITS = frozenset("0123456789")


@functools.lru_cache(maxsize=16384)
def _known_region(code: str) -> bool:
    if code[:2] not in identifiers.PROVINCE_CODES:
        return False
    return identifiers.is_known_region(code)


def _id_shape(number: str) -> bool:
    """Region prefix, plausible birth date: the number is shaped like a resident ID."""
    if number[:2] not in identifiers.PROVINCE_CODES:
        return False
    century = number[6:8]
    month = number[10:12]
    day = number[12:14]
    return century in ("18", "19", "20") and "01" <= month <= "12" and "01" <= day <= "31"


_ID_WEIGHT_SUM_48 = 48 * sum(_ID_WEIGHTS)


def _resident_id_valid(number: str) -> bool:
    """Full GB 11643 check of an 18-character number (digits + [0-9X])."""
    # bytes iterate as ASCII codes: sum(code * w) - 48 * sum(w) == sum(digit * w)
    total = sum(map(operator.mul, number[:17].encode(), _ID_WEIGHTS)) - _ID_WEIGHT_SUM_48
    if _ID_CHECK[total % 11] != number[17]:
        return False
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if (birth.year >= 2000 and birth > date.today()) or birth < identifiers.EARLIEST_BIRTH_DATE:
        return False
    return _known_region(number[:6])


def _ok(validator, value) -> bool:
    try:
        validator(value)
    except IdentifierError:
        return False
    return True


def _luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_brand_plausible(number: str) -> bool:
    """Issuer ranges: UnionPay 62/81 (16-19), Visa 4, Mastercard 51-55/2221-2720, Amex 34/37 (15),
    JCB 3528-3589, domestic debit 9 (19 digits, older cards)."""
    n = len(number)
    if number[:2] in ("62", "81"):
        return 16 <= n <= 19
    if number[0] == "4":
        return n in (13, 16, 19)
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return n == 16
    if number[:2] in ("34", "37"):
        return n == 15
    if "3528" <= number[:4] <= "3589":
        return 16 <= n <= 19
    if number[0] == "9":
        return n == 19
    return False


def _card(number: str) -> bool | None:
    """True valid card, False suspected (UnionPay shape, failing Luhn), None not a card."""
    if not 13 <= len(number) <= 19:
        return None
    if _card_brand_plausible(number):
        if _luhn(number):
            return True
        if number.startswith("62"):
            return False
    return None


_USCC_RE = re.compile(r"[1-9ANY][0-9A-HJ-NP-RTUW-Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}")
_PASSPORT_RE = re.compile(r"E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP]E[0-9]{7}|K[0-9]{8}|MA[0-9]{7}")
_PERMIT_RE = re.compile(r"C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|[HM][0-9]{8}(?:[0-9]{2})?")
_ORG_RE = re.compile(r"[0-9A-Z]{8}[0-9X]")
_AREA3 = frozenset(["010"] + [f"02{i}" for i in range(10)])


@functools.lru_cache(maxsize=2048)
def _mobile_prefix_ok(prefix4: str) -> bool:
    return _ok(identifiers.validate_mobile, prefix4 + "0000000")


def _mobile_status(digits: str) -> bool:
    return len(digits) == 11 and digits.isdigit() and _mobile_prefix_ok(digits[:4])


def _landline_status(area: str, subscriber: str) -> bool:
    if subscriber[0] not in "2345678":
        return False
    if len(area) == 3:
        # 010 and 02x serve the largest cities, whose numbers all have 8 digits
        return area in _AREA3 and len(subscriber) == 8
    return area[1] in "3456789"


def _uscc(code: str) -> bool:
    """Valid unified social credit code, its region and organization-code parts included."""
    return _ok(functools.partial(identifiers.validate_uscc, strict=True), code)


# Words just before a number that say what it is (checked only for the ambiguous shapes below).
_CARD_WORDS = ("卡", "账号", "帐号", "账户", "帐户", "银行", "银联", "card", "account")
_PHONE_WORDS = ("电话", "座机", "固话", "致电", "拨打", "来电", "热线", "传真", "联系", "tel", "phone", "fax")
_CONTEXT_CHARS = 12


def _said_before(before: str, words: tuple[str, ...]) -> bool:
    before = before.lower()
    return any(word in before for word in words)


def _resolve_token(tok: str, before: str = "") -> tuple[str, bool] | None:
    """Kind and validity of a 9-19 character token of digits and capitals, or None.

    ``before`` is the text just before the token: an 18-digit number shaped like a resident ID is
    a bank card only after a word such as 卡号 or 账号, and an unseparated 11-12 digit number with a
    4-digit area code is a landline only after a word such as 电话 (reference numbers have the
    same shape).
    """
    n = len(tok)
    if n == 18 and tok[:17].isdigit() and (tok[17].isdigit() or tok[17] in "Xx"):
        number = tok.upper()
        if _resident_id_valid(number):
            return "resident_id", True
        if _uscc(number):
            return "uscc", True
        id_shaped = _id_shape(number)
        card = _card(number) if number[17] != "X" else None
        if card and (not id_shaped or _said_before(before, _CARD_WORDS)):
            return "bank_card", True
        if id_shaped:
            return "resident_id", False
        if card is False:
            return "bank_card", False
        if _ok(identifiers.validate_uscc, number):
            return "uscc", False  # the mod-31 check holds, the region or organization code does not
        return None
    if tok.isdigit():
        if n == 11:
            if tok[0] == "1":
                # 10x-12x are not mobile-shaped at all; 13x-19x outside the allocation are suspects
                return ("mobile", _mobile_status(tok)) if tok[1] in "3456789" else None
            if tok[0] == "0":
                area = tok[:3] if tok[1] in "12" else tok[:4]
                if len(area) == 4 and not _said_before(before, _PHONE_WORDS):
                    return None
                return ("landline", True) if _landline_status(area, tok[len(area) :]) else None
            return None
        if n == 12 and tok[0] == "0" and tok[1] not in "12":
            if not _said_before(before, _PHONE_WORDS):
                return None
            return ("landline", True) if _landline_status(tok[:4], tok[4:]) else None
        if n == 15:
            # old resident ID (GB 11643-1989): region + YYMMDD + sequence, no check character
            first17 = tok[:6] + "19" + tok[6:]
            if _known_region(tok[:6]) and _id_shape(first17 + "0"):
                try:
                    date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
                    return "resident_id", True
                except ValueError:
                    return "resident_id", False
        card = _card(tok)
        if card is not None:
            return "bank_card", card
        return None
    if n == 18 and tok[:17].isdigit() and _id_shape(tok):
        return ("uscc", True) if _uscc(tok) else ("resident_id", False)
    if n == 18 and _USCC_RE.fullmatch(tok):
        return "uscc", _uscc(tok)
    if n == 9:
        if _PASSPORT_RE.fullmatch(tok):
            return "passport", True
        if _PERMIT_RE.fullmatch(tok):
            return "hk_macao_permit", True
        if _ORG_RE.fullmatch(tok) and _ok(identifiers.validate_org_code, tok):
            return "org_code", True
        return None
    if n in (9, 11) and _PERMIT_RE.fullmatch(tok):
        return "hk_macao_permit", True
    return None


def _resolve(match: re.Match) -> tuple[str, bool] | None:
    group = match.lastgroup
    value = match.group()
    if group == "tok":
        start = match.start()
        return _resolve_token(value, match.string[max(0, start - _CONTEXT_CHARS) : start])
    if group == "email":
        return "email", True
    if group == "ipv4":
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return None
        return "ipv4", True
    if group == "ipv6":
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return None
        return "ipv6", True
    if group == "plate":
        return "plate", _ok(identifiers.validate_plate, value)
    if group == "mobile":
        digits = value.replace(" ", "").replace("-", "")
        return "mobile", _mobile_status(digits[-11:])
    if group == "landline":
        head, _, rest = value.replace("（", "(").replace("）", ")").partition(")")
        if rest:
            area, subscriber = head.lstrip("("), rest.strip()
        else:
            area, _, subscriber = value.partition("-")
        subscriber = subscriber.split("-")[0]
        return "landline", _landline_status(area, subscriber)
    if group == "org":
        return "org_code", _ok(identifiers.validate_org_code, value)
    if group == "card":
        card = _card(value.replace(" ", "").replace("-", ""))
        return None if card is None else ("bank_card", card)
    return None  # pragma: no cover - every group is handled above


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------


def _star(value: str, first: int, last: int) -> str:
    n = len(value)
    if first + last >= n:
        return "*" * n
    return value[:first] + "*" * (n - first - last) + (value[n - last :] if last else "")


def mask_finding(kind: str, value: str) -> str:
    """Mask an identifier of ``kind``; the result has the same length as ``value``."""
    if kind == "resident_id":
        return _star(value, 6, 4) if len(value) == 18 else _star(value, 6, 3)
    if kind == "mobile":
        return _star(value, len(value) - 8, 4)
    if kind == "landline":
        cut = max(value.find("-"), value.find(")"), value.find("）"))
        keep = cut + 1 if cut > 0 else (3 if value[1] in "12" else 4)
        return _star(value, keep, 2)
    if kind == "email":
        local, _, domain = value.partition("@")
        return _star(local, 1, 0) + "@" + domain
    if kind == "bank_card":
        return _star(value, 4, 4)
    if kind == "ipv4":
        parts = value.split(".")
        return ".".join(parts[:2] + ["*" * len(p) for p in parts[2:]])
    if kind == "ipv6":
        return _star(value, value.find(":") + 1, 0)
    if kind == "plate":
        return _star(value, 2, 1)
    if kind == "uscc":
        return _star(value, 8, 2)
    if kind == "org_code":
        return _star(value, 2, 1)
    # passport, hk_macao_permit
    return _star(value, 2, 2)


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


# Full-width digits, Latin letters and the signs identifiers use (１３８…, ＠, ．, －, ＋) are matched as
# their ASCII forms: the text is translated one character for one (offsets stay valid) before the
# scan, and only when it holds such a character (ordinary Chinese punctuation does not count).
_FULLWIDTH = re.compile("[０-９Ａ-Ｚａ-ｚ＠．－＋]")
_TO_ASCII = {
    cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
}
_TO_ASCII.update({ord("＠"): ord("@"), ord("．"): ord("."), ord("－"): ord("-"), ord("＋"): ord("+")})


def _ascii_view(text: str) -> str:
    return text.translate(_TO_ASCII) if _FULLWIDTH.search(text) else text


def _mask_original(kind: str, seen: str, original: str) -> str:
    masked = mask_finding(kind, seen)
    if seen == original:
        return masked
    return "".join("*" if m == "*" else o for m, o in zip(masked, original, strict=True))


def detect(text: str) -> list[Finding]:
    """Every identifier in ``text`` (valid and suspected), in order of position.

    ``value`` is the text as written (full-width digits stay full-width).
    """
    if not text:
        return []
    view = _ascii_view(text)
    findings: list[Finding] = []
    for match in _PATTERN.finditer(view):
        resolved = _resolve(match)
        if resolved is not None:
            start, end = match.span()
            findings.append(Finding(resolved[0], start, end, text[start:end], resolved[1]))
    return findings


def scan_text_with_findings(text: str) -> tuple[str, list[Finding]]:
    """The text with every identifier masked (suspected ones too), and the findings."""
    findings = detect(text)
    if not findings:
        return text, findings
    view = _ascii_view(text)
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos : f.start])
        parts.append(_mask_original(f.kind, view[f.start : f.end], f.value))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts), findings


def scan_text(text: str) -> str:
    """``text`` with every identifier found masked, suspected ones included."""
    if not text:
        return text
    view = _ascii_view(text)
    out: list[str] | None = None
    pos = 0
    for match in _PATTERN.finditer(view):
        resolved = _resolve(match)
        if resolved is None:
            continue
        if out is None:
            out = []
        start, end = match.span()
        out.append(text[pos:start])
        out.append(_mask_original(resolved[0], match.group(), text[start:end]))
        pos = end
    if out is None:
        return text
    out.append(text[pos:])
    return "".join(out)
