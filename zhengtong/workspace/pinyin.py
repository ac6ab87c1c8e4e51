"""Pinyin for directory and knowledge-base search (pypinyin: the standard dictionary of
readings, polyphonic surnames included)."""

from __future__ import annotations

import functools
import unicodedata

from pypinyin import Style, lazy_pinyin


@functools.lru_cache(maxsize=65536)  # names repeat: a province's directory refresh reads each once
def readings(text: str) -> tuple[str, str]:
    """(full pinyin without tones, initials) of ``text``, lower-case; non-Chinese characters
    are kept as they are (letters and digits only)."""
    syllables = lazy_pinyin(text or "", style=Style.NORMAL, errors=lambda s: list(s))
    clean = [s.lower() for s in syllables if s and s.strip() and s.isalnum()]
    return "".join(clean)[:200], "".join(s[0] for s in clean)[:40]


def normalize_text(value: str) -> str:
    """Text as search compares it: NFKC (full-width letters become ASCII), lower-case, with
    runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFKC", value or "").lower().split())


def normalize_query(q: str) -> str:
    """A search query, normalized as stored text is, at most 50 characters."""
    return normalize_text(q)[:50]
