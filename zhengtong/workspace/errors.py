"""The error codes the workspace module sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class WorkspaceError(ErrorCode):
    OUTSIDE_SCOPE = "outside_scope", "the person is outside your directory scope and policy forbids it"
    NOT_MEMBER = "not_member", "you are not a member of the conversation"
    ATTACHMENT_IDENTIFIERS = (
        "attachment_identifiers",
        "the attachment or message carries unmasked personal identifiers out of a case's scope",
    )
    OWN_REQUEST = "own_request", "nobody decides their own approval request"
    NOT_SIGNATORY = "not_signatory", "only holders of the 签发 permission sign off documents"
    ALREADY_NUMBERED = "already_numbered", "the document has its number already"
    SIGNED_OFF = "signed_off", "the document is signed off: it can no longer be edited"
