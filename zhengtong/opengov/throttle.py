"""The one limit on anonymous reads of the open-government site and API (search, lists): a fixed
window per client address on the shared limiter (``core.ratelimit``; the address is the one the
core middleware resolved behind trusted proxies)."""

from __future__ import annotations

from zhengtong.core import ratelimit

READS_PER_MINUTE = 120


def anonymous_read(request, scope: str) -> None:
    ratelimit.hit(
        f"opengov.{scope}", request.META.get("REMOTE_ADDR", ""), limit=READS_PER_MINUTE, window_seconds=60
    )
