"""Keeps personal identifiers out of logs: resident IDs, mobile numbers and bank cards are masked."""

from __future__ import annotations

import logging
import re

# Lookarounds instead of \b: Python treats Han characters as word characters (reference/datasec.md).
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{8,11}(\d{4})(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    text = _RESIDENT_ID.sub(lambda m: f"{m.group(1)}********{m.group(2)[-4:]}", text)
    text = _CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must not break the request
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
