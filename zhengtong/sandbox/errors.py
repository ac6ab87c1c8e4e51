"""The error codes the data sandbox sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class SandboxError(ErrorCode):
    NOT_ACTIVE = "sandbox_not_active", "the project is not approved, or its period is over"
    NOT_APPLICANT = "sandbox_not_applicant", "only the project's applicant works in its workspace"
    NOT_RELEASED = "sandbox_not_released", "the output has not been released by the data officer"
    NOT_CHECKED = "sandbox_not_checked", "the job has no checked output waiting for review"
    SAME_PERSON = "sandbox_same_person", "the submitter or an earlier approver may not decide this"
    ONE_OWNER = "sandbox_one_owner", "all datasets of a project must belong to one department"
