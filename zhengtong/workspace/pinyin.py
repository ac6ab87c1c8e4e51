"""Pinyin for directory and knowledge-base search (pypinyin: the standard dictionary of
readings, polyphonic surnames included)."""

from __future__ import annotations

import functools
import re
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


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def grams(text: str) -> str:
    """The directory's index terms of ``text``: each Han character (``u<hex>``) and each pair of
    neighbours (``c<hex><hex>``), as ASCII tokens that PostgreSQL's ``simple`` text search keeps
    whole (the encoding of opengov's search). Space-separated, each once."""
    out: list[str] = []
    for run in _HAN.findall(text or ""):
        out.extend(f"u{ord(c):x}" for c in run)
        out.extend(f"c{ord(a):x}{ord(b):x}" for a, b in zip(run, run[1:], strict=False))
    return " ".join(dict.fromkeys(out))


def grams_query(text: str) -> str:
    """A ``to_tsquery`` that every entry containing ``text`` matches (the Han parts' characters
    or pairs, all required); "" when ``text`` has no Han character. A prefilter: the caller
    still checks the substring."""
    tokens: list[str] = []
    for run in _HAN.findall(text or ""):
        if len(run) == 1:
            tokens.append(f"u{ord(run):x}")
        else:
            tokens.extend(f"c{ord(a):x}{ord(b):x}" for a, b in zip(run, run[1:], strict=False))
    return " & ".join(dict.fromkeys(tokens))
