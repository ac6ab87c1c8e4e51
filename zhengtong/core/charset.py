"""Which character encoding an uploaded text file uses: one decision for every importer.

UTF-8 (with or without BOM) and UTF-16 with a BOM are taken as they are. Otherwise the text must
decode strictly as GB18030 (a superset of GBK and GB2312) *and* read like Chinese: little chaos by
charset-normalizer's measure, and most of its non-ASCII characters among GB2312's punctuation and
its 3,755 common characters. Text in another encoding that happens to decode as GB18030 (Shift-JIS
becomes rare characters such as 柤徧悢検) is refused instead of imported as garbage.
"""

from __future__ import annotations

import codecs

from charset_normalizer.md import mess_ratio

# How much of the decoded text the confidence check looks at (characters).
SAMPLE_CHARS = 1 << 20
# Highest chaos (charset-normalizer's mess ratio, 0..1) of text accepted as GB18030.
MAX_CHAOS = 0.3
# Least share of non-ASCII characters that are GB2312 symbols or level-1 (common) characters.
MIN_COMMON_SHARE = 0.5


class UndecodableText(ValueError):
    """The bytes are not text in an encoding we accept; ``reason`` is "binary" or "unknown"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def common_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are GB2312 symbols (rows A1-A9) or
    level-1 characters (rows B0-D7, the 3,755 most used); 1.0 for text without any."""
    total = common = 0
    for ch in text:
        if ch < "\x80":
            continue
        total += 1
        try:
            lead = ch.encode("gb2312")[0]
        except UnicodeEncodeError:
            continue
        common += 0xA1 <= lead <= 0xD7
    return common / total if total else 1.0


def detect_encoding(data: bytes) -> str:
    """ "utf-8-sig", "utf-16", "utf-8" or "gb18030"; raises UndecodableText when none fits.

    The result is a codec name: ``data.decode(result)`` succeeds."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in data[:SAMPLE_CHARS]:
        raise UndecodableText("binary")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample = data.decode("gb18030")[:SAMPLE_CHARS]
    except UnicodeDecodeError:
        raise UndecodableText("unknown") from None
    if mess_ratio(sample, 1.0) >= MAX_CHAOS or common_share(sample) < MIN_COMMON_SHARE:
        raise UndecodableText("unknown")
    return "gb18030"
