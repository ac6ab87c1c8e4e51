"""The error codes the opengov module sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class OpengovError(ErrorCode):
    REAL_NAME_REQUIRED = "real_name_required", "a request for disclosure needs a real-name verified account"
    ALREADY_EXTENDED = "already_extended", "the time limit of this request was extended once already"
    CORRECTION_TOO_LATE = (
        "correction_too_late",
        "a correction can be asked only once, within 7 working days of receiving the request",
    )
    REPLY_INCOMPLETE = "reply_incomplete", "the reply type needs a field that is missing"
    NOT_CHECKED = "not_checked", "a redacted document must be checked by a person before it is published"
    PERSONAL_DATA = "personal_data", "the text still holds personal identifiers and cannot be published"
    BAD_DOCUMENT = "bad_document", "the attachment is not a text, PDF or DOCX document, or is too large"
    CONSULTATION_CLOSED = "consultation_closed", "the consultation is not open for comments now"
    PUBLISHED = "already_published", "the object is published (or the reply sent) and can no longer change"
    CONSULTATION_STARTED = (
        "consultation_started",
        "the consultation has opened: only its closing date can be moved later",
    )
    POWER_CODE_TAKEN = "power_code_taken", "the power code is used by another department's list"
