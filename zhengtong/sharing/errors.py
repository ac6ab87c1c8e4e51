"""The error codes the sharing module sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class SharingError(ErrorCode):
    NOT_SHARED = "not_shared", "the resource is not shared (不予共享)"
    NO_GRANT = "no_grant", "the call carries no key of a live grant"
    GRANT_INACTIVE = "grant_inactive", "the grant is suspended, revoked or expired"
    OUTSIDE_FIELDS = "outside_fields", "the call names a field the grant does not cover"
    OUTSIDE_ROW_SCOPE = "outside_row_scope", "the record or filter lies outside the grant's row scope"
    WRONG_MODE = "wrong_mode", "the grant does not deliver data in this mode"
    UNKNOWN_PEER = "unknown_peer", "no trusted installation with that id"
    PEER_FAILED = "peer_failed", "the other installation did not answer with a valid signed receipt"
    MESSAGE_REFUSED = (
        "peer_message_refused",
        "the message is not signed by a trusted installation, not for us, stale or replayed",
    )
    TERMS_NOT_ACCEPTED = "terms_not_accepted", "the applicant has not accepted the data-use agreement"
    LOG_UNAVAILABLE = (
        "exchange_log_unavailable",
        "the exchange log could not be written; nothing was returned",
    )
