"""The error codes the services module sends (besides ``core.errors.CoreError``'s)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class ServicesError(ErrorCode):
    INVALID_STATE = (
        "invalid_state",
        "the case or rating is not in a state that allows this (e.g. rating an open case)",
    )
    RATING_CLOSED = "rating_closed", "the time for rating the case has passed"
