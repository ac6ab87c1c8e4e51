"""Desensitization basics every module needs (the privacy module builds its operators on these)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def pseudonymize(value: str, *, purpose: str = "default") -> str:
    """Keyed, stable pseudonym (HMAC-SHA256, key from settings): joins still work, no bare hashes."""
    key = settings.PSEUDONYM_KEY.encode()
    digest = hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def mask(value: str | None, *, keep_first: int = 0, keep_last: int = 0, char: str = "*") -> str:
    if not value:
        return ""
    text = str(value)
    if keep_first + keep_last >= len(text):
        return char * len(text)
    hidden = len(text) - keep_first - keep_last
    return text[:keep_first] + char * hidden + (text[-keep_last:] if keep_last else "")


def mask_resident_id(value: str | None) -> str:
    """330106********123X: region kept (it is public knowledge of the registration county), birth date hidden."""
    return mask(value, keep_first=6, keep_last=4)


def mask_phone(value: str | None) -> str:
    return mask(value, keep_first=3, keep_last=4)


def mask_name(value: str | None) -> str:
    """张*丰 / 李*: keep the surname (and the last character for names of three or more)."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*" * (len(value) - 1)
    return value[0] + "*" * (len(value) - 2) + value[-1]


# Fields holding personal identifiers: masked on outward paths and pseudonymized in the audit trail.
SENSITIVE_FIELDS = {
    "resident_id": mask_resident_id,
    "phone": mask_phone,
    "mobile": mask_phone,
    "legal_rep_resident_id": mask_resident_id,
    "holder_resident_id": mask_resident_id,
}
