"""The error codes the cockpit module sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class CockpitError(ErrorCode):
    BAD_SIGNATURE = "feed_bad_signature", "the feed message's HMAC signature does not verify"
    FEED_SCHEMA = "feed_schema", "a feed message does not match the feed's schema"
