"""Error codes of accounts (see ``core.errors.ErrorCode``)."""

from zhengtong.core.errors import ErrorCode


class AccountsError(ErrorCode):
    INVALID_TOKEN = "invalid_token", "malformed, unknown, revoked or expired token, or disabled account"
    INSUFFICIENT_SCOPE = "insufficient_scope", "a read token used for a write"
