"""The error codes the seals module sends (besides ``core.errors.CoreError``'s)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class SealsError(ErrorCode):
    NOT_A_PDF = "not_a_pdf", "the file is not a PDF document"
    DOCUMENT_REVOKED = "document_revoked", "the sealed document is already revoked"
