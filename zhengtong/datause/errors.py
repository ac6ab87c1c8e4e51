"""Error codes the datause module sends (besides the shared ``CoreError`` codes)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class DatauseError(ErrorCode):
    NOT_PUBLISHED = "dataset_not_published", "feedback and reuses concern published datasets only"
    CAMPAIGN_CLOSED = "campaign_closed", "the campaign's deadline has passed"
