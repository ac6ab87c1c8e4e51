"""The error codes the workorders module sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class WorkordersError(ErrorCode):
    ALREADY_ANSWERED = (
        "already_answered",
        "another module tried to answer a work order that is replied or closed already",
    )
