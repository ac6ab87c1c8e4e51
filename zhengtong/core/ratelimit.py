"""The one rate limiter: fixed windows counted in Django's cache.

``hit(scope, key, limit=..., window_seconds=...)`` counts one request for ``key`` in ``scope``
and raises ``RateLimited`` (HTTP 429, ``details={"retry_after": s, "limit": n}``, and a
``retry_after`` attribute that every 429 response sends as the ``Retry-After`` header) when the
count in the current window passes ``limit``. The counters live in ``CACHES["default"]``, so
the limit holds across processes and machines exactly as far as that cache is shared (Redis:
everywhere; the file cache: the processes of one node; LocMem in tests: one process).

Who is counted and how many calls they may make stays with the caller (a data-API key's
``rate_limit_per_minute``, ``CODES_VERIFY_RATE_PER_MINUTE`` per client address, ...).

Budgets of failures on hot paths (``failure_check`` before, ``failure_count`` after a refused
request) count in the same shared counters, but the check costs no cache round trip: a process
refuses a key once it has itself seen the shared count reach the limit (the count ``incr`` returns
when it adds a failure), until the window ends. So with P processes a key gets at most
``limit + P - 1`` failures per window (each other process learns at its next failure of that key),
instead of exactly ``limit``, and requests that succeed never wait on the cache.
"""

from __future__ import annotations

import atexit
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from zhengtong.core.errors import RateLimited

PREFIX = "zt:rl"


def _window(scope: str, key: str, window_seconds: int) -> tuple[str, int, int]:
    now = int(time.time())
    window = now // window_seconds
    return f"{PREFIX}:{scope}:{key}:{window}", now, max(1, (window + 1) * window_seconds - now)


def _refuse(limit: int, retry_after: int, message: str | None) -> RateLimited:
    return RateLimited(
        message or _("rate limit of %d requests reached; try again later") % limit,
        details={"retry_after": retry_after, "limit": limit},
    )


def incr(scope: str, key: str, *, window_seconds: int = 60, keep_seconds: int = 10) -> int:
    """Count one event of ``key`` in ``scope`` and return the count in the current fixed window
    (for counters that only watch, e.g. rejected anonymous requests logged once per threshold).
    ``keep_seconds``: how long the counter outlives its window (for counters read afterwards:
    ``counts``)."""
    bucket, _now, _retry_after = _window(scope, key, window_seconds)
    # The counter outlives its window a little so a late incr never recreates it as 1.
    return _add(bucket, 1, window_seconds + max(10, keep_seconds))


def _add(bucket: str, n: int, timeout: int) -> int:
    count = getattr(cache, "count", None)  # core.rediscache's: INCRBY + EXPIRE NX, one round trip
    if count is not None:
        return count(bucket, n, timeout)
    # Other backends: the counter exists for all but the window's first event, so increment first
    # and create it only when it is missing.
    try:
        return cache.incr(bucket, n)
    except ValueError:
        pass
    if cache.add(bucket, n, timeout=timeout):
        return n
    try:
        return cache.incr(bucket, n)  # another process created it in between
    except ValueError:  # expired between add and incr
        cache.set(bucket, n, timeout=timeout)
        return n


def once(scope: str, key: str, *, seconds: int) -> bool:
    """True the first time ``key`` is seen in ``scope`` within ``seconds`` (a rolling period from
    that first sight, not a fixed window, so no boundary lets a replay through), False after; for
    nonces of signed messages whose date is checked within a shorter age. Atomic in the shared
    cache (``add``); an entry the cache evicted early is forgotten, so callers bound the age too."""
    return bool(cache.add(f"{PREFIX}:once:{scope}:{key}", 1, timeout=seconds))


def _count(bucket: str) -> int:
    """The counter's value in the current window (0 when there is none)."""
    return cache.get(bucket) or 0


# Counts of ``tally`` not yet added to the shared counters: {bucket: (count, timeout)}.
_pending: dict[str, tuple[int, int]] = {}
_pending_lock = threading.Lock()
_flushed_at = [time.monotonic()]


def tally(scope: str, key: str, *, window_seconds: int = 60, keep_seconds: int = 10) -> None:
    """``incr`` for counters that are only read afterwards (``counts``), on hot paths: counted in
    this process and added to the shared counter in one increment per counter at most every
    ``RATELIMIT_TALLY_FLUSH_SECONDS`` (default 1 s; 0 adds at once), and when the process exits.
    Each count goes to the window it happened in. What a process killed outright had not added
    yet (at most that interval's) is lost."""
    bucket, _now, _retry_after = _window(scope, key, window_seconds)
    timeout = window_seconds + max(10, keep_seconds)
    with _pending_lock:
        count = _pending.get(bucket, (0, timeout))[0] + 1
        _pending[bucket] = (count, timeout)
    if time.monotonic() - _flushed_at[0] >= settings.RATELIMIT_TALLY_FLUSH_SECONDS:
        tally_flush()


def tally_flush() -> None:
    """Add every pending ``tally`` count to the shared counters now."""
    global _pending
    with _pending_lock:
        pending, _pending = _pending, {}
        _flushed_at[0] = time.monotonic()
    for bucket, (count, timeout) in pending.items():
        _add(bucket, count, timeout)


atexit.register(tally_flush)


# Leases (``hit(..., lease=True)``): a block is at most this share of the limit, and this many counts.
LEASE_SHARE = 1000
LEASE_MAX = 64
# Counts this process took from the shared counters and has not spent: {bucket: counts left}.
_leases: dict[str, int] = {}
_LEASES_MAX = 10_000


def hit(
    scope: str,
    key: str,
    *,
    limit: int,
    window_seconds: int = 60,
    message: str | None = None,
    lease: bool = False,
) -> None:
    """Count one request of ``key`` in ``scope``; raise ``RateLimited`` once more than ``limit``
    requests fall in the current fixed window of ``window_seconds``. The error's ``retry_after``
    is the number of seconds until the window resets (at least 1).

    ``lease=True`` (hot paths with high limits): the process takes counts from the shared counter
    in blocks of ``limit // LEASE_SHARE`` (at most ``LEASE_MAX``) and spends them without a cache
    round trip. Never more than ``limit`` requests pass in a window (every request was counted
    before it passed); a block a process took but did not use up makes the others refuse up to
    that many requests early, so with P processes the refusal can come up to P blocks (a thousandth
    of the limit each) before the limit. A limit under ``2 * LEASE_SHARE`` counts every request
    in the shared counter as without ``lease``."""
    block = min(LEASE_MAX, limit // LEASE_SHARE) if lease else 1
    if block > 1:
        _hit_leased(scope, key, limit, window_seconds, message, block)
        return
    count = incr(scope, key, window_seconds=window_seconds)
    if count > limit:
        _bucket, _now, retry_after = _window(scope, key, window_seconds)
        raise _refuse(limit, retry_after, message)


def hit_and_check(
    scope: str,
    key: str,
    *,
    limit: int,
    window_seconds: int = 60,
    check_scope: str,
    check_key: str,
    check_limit: int,
    check_window_seconds: int = 60,
    message: str | None = None,
) -> None:
    """``hit(scope, key, ...)`` then ``check(check_scope, check_key, ...)``, with the same
    refusals in the same order, in one cache round trip where the cache can (core.rediscache's
    ``count_and_get``; other backends: two). For a request counted per client and checked against
    a failure budget of what it asks for (the public 办件查询: per address, per case number)."""
    bucket, _now, retry_after = _window(scope, key, window_seconds)
    check_bucket, _now, check_retry_after = _window(check_scope, check_key, check_window_seconds)
    timeout = window_seconds + 10  # as ``incr``: the counter outlives its window a little
    both = getattr(cache, "count_and_get", None)
    if both is not None:
        count, failures = both(bucket, check_bucket, 1, timeout)
    else:
        count = _add(bucket, 1, timeout)
        failures = _count(bucket=check_bucket) if count <= limit else 0
    if count > limit:
        raise _refuse(limit, retry_after, message)
    if (failures or 0) >= check_limit:
        raise _refuse(check_limit, check_retry_after, message)


def _hit_leased(
    scope: str, key: str, limit: int, window_seconds: int, message: str | None, block: int
) -> None:
    bucket, _now, retry_after = _window(scope, key, window_seconds)
    with _pending_lock:
        left = _leases.get(bucket, 0)
        if left > 0:
            _leases[bucket] = left - 1
            return
    # As ``incr``: the counter outlives its window a little so a late add never recreates it.
    count = _add(bucket, block, window_seconds + 10)
    granted = min(block, limit - (count - block))
    if granted <= 0:
        raise _refuse(limit, retry_after, message)
    with _pending_lock:
        if len(_leases) >= _LEASES_MAX:
            _leases.clear()  # mostly blocks of windows that are over; the current ones are forgone
        _leases[bucket] = _leases.get(bucket, 0) + granted - 1


# Buckets of failure budgets this process saw exhausted: {bucket: Unix time the window ends}.
_exhausted: dict[str, int] = {}
_EXHAUSTED_MAX = 10_000


def failure_check(
    scope: str, key: str, *, limit: int, window_seconds: int = 60, message: str | None = None
) -> None:
    """Raise ``RateLimited`` if this process has seen ``key``'s failures reach ``limit`` in the
    current window (``failure_count``); no cache round trip (see the module docstring for the
    bound this gives across processes)."""
    bucket, _now, retry_after = _window(scope, key, window_seconds)
    if bucket in _exhausted:
        raise _refuse(limit, retry_after, message)


def failure_count(scope: str, key: str, *, limit: int, window_seconds: int = 60) -> int:
    """Count one failure of ``key`` in the shared counter (``incr``) and return the count; once it
    reaches ``limit``, ``failure_check`` refuses the key in this process until the window ends."""
    count = incr(scope, key, window_seconds=window_seconds)
    if count >= limit:
        bucket, now, retry_after = _window(scope, key, window_seconds)
        with _pending_lock:
            if len(_exhausted) >= _EXHAUSTED_MAX:
                for old in [b for b, end in _exhausted.items() if end <= now]:
                    del _exhausted[old]
                if len(_exhausted) >= _EXHAUSTED_MAX:
                    _exhausted.clear()  # many addresses at once: fall back to counting again
            _exhausted[bucket] = now + retry_after
    return count


def clear_local() -> None:
    """Forget what this process learned about exhausted failure budgets and the counts it leased
    (tests)."""
    with _pending_lock:
        _exhausted.clear()
        _leases.clear()


def check(scope: str, key: str, *, limit: int, window_seconds: int = 60, message: str | None = None) -> None:
    """Raise ``RateLimited`` if ``key`` has already used up ``limit`` in the current window,
    without counting anything: for limits on failures, where the caller checks first and
    ``hit``s only when the attempt fails (e.g. wrong second-factor codes)."""
    bucket, _now, retry_after = _window(scope, key, window_seconds)
    if _count(bucket) >= limit:
        raise _refuse(limit, retry_after, message)


def counts(scope: str, keys: list[str], *, window_seconds: int, windows: int) -> dict[tuple[str, int], int]:
    """The counters of ``keys`` in ``scope`` over the current and the ``windows - 1`` windows
    before it that are still kept: {(key, window start as a Unix time): count}, counters that
    exist only (one ``get_many``)."""
    current = int(time.time()) // window_seconds
    names = {
        f"{PREFIX}:{scope}:{key}:{w}": (key, w * window_seconds)
        for key in keys
        for w in range(current - windows + 1, current + 1)
    }
    return {names[name]: int(value) for name, value in cache.get_many(list(names)).items()}
