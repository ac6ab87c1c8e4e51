"""Letters the module issues: the dated, sealed reply letter (答复书) and the extension notice
(延期答复告知书), rendered and sealed by the platform's one seals mechanism."""

from __future__ import annotations

from typing import Any


def render_plain_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A PDF holding ``paragraphs`` (used to set a redacted PDF's text again)."""
    # Until the seals module's renderer is merged: the redacted text as UTF-8 (still no original).
    return ("\n".join([title, *paragraphs])).encode("utf-8")


def issue_reply_letter(req: Any, *, actor: Any) -> str:
    """Render and seal the reply letter of ``req``; returns the sealed document's public code."""
    return ""


def issue_extension_notice(req: Any, *, actor: Any) -> str:
    return ""
