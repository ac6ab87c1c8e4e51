from __future__ import annotations

import os

import pytest
from django.core.cache import cache as django_cache

from zhengtong.core import ratelimit
from zhengtong.core.errors import RateLimited, retry_after_header


@pytest.fixture
def clock(monkeypatch):
    """A settable time.time() for the limiter."""
    now = [0.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    return now


def test_hit_allows_the_limit_then_raises_with_retry_after(clock):
    clock[0] = 600 * 60 + 20.0  # 20 s into a window
    for _ in range(3):
        ratelimit.hit("test", "a", limit=3)
    with pytest.raises(RateLimited) as caught:
        ratelimit.hit("test", "a", limit=3)
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    assert caught.value.details == {"retry_after": 40, "limit": 3}
    assert caught.value.retry_after == 40
    assert retry_after_header(caught.value) == {"Retry-After": "40"}


def test_keys_and_scopes_count_apart(clock):
    clock[0] = 600 * 60.0
    ratelimit.hit("test", "a", limit=1)
    ratelimit.hit("test", "b", limit=1)
    ratelimit.hit("other", "a", limit=1)
    with pytest.raises(RateLimited):
        ratelimit.hit("test", "a", limit=1)


def test_a_new_window_starts_a_new_count(clock):
    clock[0] = 600 * 60 + 59.0
    ratelimit.hit("test", "a", limit=1, window_seconds=60)
    with pytest.raises(RateLimited) as caught:
        ratelimit.hit("test", "a", limit=1, window_seconds=60)
    assert caught.value.retry_after == 1
    clock[0] = 601 * 60.0
    ratelimit.hit("test", "a", limit=1, window_seconds=60)


def test_window_length_and_message(clock):
    clock[0] = 3600 * 10 + 600.0
    ratelimit.hit("test", "a", limit=1, window_seconds=3600)
    with pytest.raises(RateLimited) as caught:
        ratelimit.hit("test", "a", limit=1, window_seconds=3600, message="slow down")
    assert caught.value.message == "slow down" and caught.value.retry_after == 3000


def test_counts_live_in_djangos_cache(clock):
    """Processes sharing CACHES share the counts: a count another process wrote is honoured."""
    clock[0] = 600 * 60.0
    ratelimit.hit("test", "a", limit=2)
    assert django_cache.get(f"{ratelimit.PREFIX}:test:a:600") == 1
    django_cache.set(f"{ratelimit.PREFIX}:test:a:600", 2)  # another process counted one
    with pytest.raises(RateLimited):
        ratelimit.hit("test", "a", limit=2)


def test_rate_limited_without_a_delay_sends_no_header():
    exc = RateLimited("busy")
    assert exc.retry_after is None and retry_after_header(exc) == {}


def test_check_refuses_a_used_up_key_without_counting(clock):
    clock[0] = 600 * 60 + 50.0
    for _ in range(5):
        ratelimit.check("test", "c", limit=2)  # counts nothing
    ratelimit.hit("test", "c", limit=2)
    ratelimit.check("test", "c", limit=2)
    ratelimit.hit("test", "c", limit=2)
    with pytest.raises(RateLimited) as caught:
        ratelimit.check("test", "c", limit=2)
    assert caught.value.details == {"retry_after": 10, "limit": 2}


def _hit_and_check(key: str, number: str, *, limit: int = 3, budget: int = 2) -> None:
    ratelimit.hit_and_check(
        "test.track",
        key,
        limit=limit,
        check_scope="test.track.fail",
        check_key=number,
        check_limit=budget,
        check_window_seconds=3600,
    )


def test_hit_and_check_counts_one_and_refuses_as_hit_then_check(clock):
    clock[0] = 3600 * 100 + 30.0
    _hit_and_check("addr", "N1")
    ratelimit.hit("test.track.fail", "N1", limit=99, window_seconds=3600)  # one failure: within
    _hit_and_check("addr", "N1")
    ratelimit.hit("test.track.fail", "N1", limit=99, window_seconds=3600)  # the budget is used up
    with pytest.raises(RateLimited) as caught:
        _hit_and_check("addr", "N1")
    assert caught.value.details == {"retry_after": 3570, "limit": 2}  # the budget's window
    _hit_and_check("addr2", "N2")  # another number: its own budget
    with pytest.raises(RateLimited) as caught:  # the address's 4th request: the per-address limit first
        _hit_and_check("addr", "N2")
    assert caught.value.details == {"retry_after": 30, "limit": 3}
    # The failure budget was read, never counted, by hit_and_check.
    bucket, _now, _retry = ratelimit._window("test.track.fail", "N1", 3600)
    assert django_cache.get(bucket) == 2


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="set TEST_REDIS_URL to test against Redis")
def test_on_redis_hit_and_check_is_one_pipeline(settings):
    """Against a real Redis: ``count_and_get`` counts, sets the lifetime and reads the budget."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "zhengtong.core.rediscache.RedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
        }
    }
    try:
        scope = f"test-redis-hc-{os.getpid()}"
        fail_bucket, _now, _retry = ratelimit._window(scope + ".fail", "N", 3600)
        kw = dict(
            limit=5, check_scope=scope + ".fail", check_key="N", check_limit=2, check_window_seconds=3600
        )
        ratelimit.hit_and_check(scope, "a", **kw)  # no failures yet: the budget reads as None
        ratelimit.incr(scope + ".fail", "N", window_seconds=3600)
        ratelimit.incr(scope + ".fail", "N", window_seconds=3600)
        with pytest.raises(RateLimited):
            ratelimit.hit_and_check(scope, "a", **kw)
        bucket, _now, _retry = ratelimit._window(scope, "a", 60)
        assert django_cache.get(bucket) == 2
        key = django_cache.make_and_validate_key(bucket)
        assert 60 < django_cache._cache.get_client(key).ttl(key) <= 70
        django_cache.delete_many([bucket, fail_bucket])
    finally:
        caches.close_all()


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="set TEST_REDIS_URL to test against Redis")
def test_on_redis_one_round_trip_counts_and_expires(settings):
    """Against a real Redis (TEST_REDIS_URL): counts by INCRBY, the lifetime set once by EXPIRE NX,
    ``check`` reads the counter back, and Django's cache API sees the same integer."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "zhengtong.core.rediscache.RedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
        }
    }
    try:
        scope = f"test-redis-{os.getpid()}"
        assert [ratelimit.incr(scope, "k", window_seconds=60) for _ in range(3)] == [1, 2, 3]
        bucket, _now, _retry = ratelimit._window(scope, "k", 60)
        assert django_cache.get(bucket) == 3
        key = django_cache.make_and_validate_key(bucket)
        assert 60 < django_cache._cache.get_client(key).ttl(key) <= 70
        ratelimit.check(scope, "k", limit=4)
        with pytest.raises(RateLimited):
            ratelimit.check(scope, "k", limit=3)
        django_cache.delete(bucket)
    finally:
        caches.close_all()


def test_a_failure_budget_refuses_once_the_count_reaches_the_limit(clock):
    clock[0] = 600 * 60 + 20.0
    for n in range(1, 3):
        ratelimit.failure_check("test", "a", limit=2)
        assert ratelimit.failure_count("test", "a", limit=2) == n
    with pytest.raises(RateLimited) as caught:
        ratelimit.failure_check("test", "a", limit=2)
    assert caught.value.retry_after == 40 and caught.value.details["limit"] == 2
    ratelimit.failure_check("test", "b", limit=2)  # another key: its own budget
    clock[0] = 601 * 60.0
    ratelimit.failure_check("test", "a", limit=2)  # a new window


def test_a_failure_budget_learns_another_process_count_at_its_next_failure(clock):
    """The check reads no shared counter: a count other processes added is honoured from this
    process's next failure of that key on."""
    clock[0] = 600 * 60.0
    bucket = ratelimit._window("test", "a", 60)[0]
    django_cache.set(bucket, 5, timeout=120)  # another process's failures
    ratelimit.failure_check("test", "a", limit=5)  # not known here yet
    assert ratelimit.failure_count("test", "a", limit=5) == 6
    with pytest.raises(RateLimited):
        ratelimit.failure_check("test", "a", limit=5)
    ratelimit.clear_local()
    ratelimit.failure_check("test", "a", limit=5)


def test_once_is_true_only_the_first_time_within_its_period():
    from zhengtong.core import ratelimit

    assert ratelimit.once("test.once", "n-1", seconds=60) is True
    assert ratelimit.once("test.once", "n-1", seconds=60) is False
    assert ratelimit.once("test.once", "n-2", seconds=60) is True
    assert ratelimit.once("other.once", "n-1", seconds=60) is True


def test_a_leased_hit_takes_blocks_and_never_passes_the_limit(clock):
    """lease=True: the shared counter grows by blocks of limit/1000, the process spends them
    without a round trip, and the limit holds exactly when one process counts."""
    clock[0] = 600 * 60.0
    bucket = f"{ratelimit.PREFIX}:test:a:600"
    ratelimit.hit("test", "a", limit=5000, lease=True)
    assert django_cache.get(bucket) == 5  # one block of 5000 // 1000
    for _ in range(4):
        ratelimit.hit("test", "a", limit=5000, lease=True)
    assert django_cache.get(bucket) == 5  # spent from the block: no count added
    ratelimit.hit("test", "a", limit=5000, lease=True)
    assert django_cache.get(bucket) == 10
    for _ in range(5000 - 6):
        ratelimit.hit("test", "a", limit=5000, lease=True)
    assert django_cache.get(bucket) == 5000
    with pytest.raises(RateLimited) as caught:
        ratelimit.hit("test", "a", limit=5000, lease=True)
    assert caught.value.details == {"retry_after": 60, "limit": 5000}
    clock[0] = 601 * 60.0  # a new window: a new counter, a new block
    ratelimit.hit("test", "a", limit=5000, lease=True)
    assert django_cache.get(f"{ratelimit.PREFIX}:test:a:601") == 5


def test_a_leased_hit_honours_other_processes_counts(clock):
    """Counts other processes took (their blocks) are honoured at this process's next block: it
    is granted only what is left under the limit."""
    clock[0] = 600 * 60.0
    bucket = f"{ratelimit.PREFIX}:test:a:600"
    django_cache.set(bucket, 4998, timeout=120)  # other processes' blocks
    ratelimit.hit("test", "a", limit=5000, lease=True)  # takes 5, granted 2
    ratelimit.hit("test", "a", limit=5000, lease=True)
    with pytest.raises(RateLimited):
        ratelimit.hit("test", "a", limit=5000, lease=True)


def test_a_small_limit_counts_every_leased_hit_in_the_shared_counter(clock):
    clock[0] = 600 * 60.0
    for n in (1, 2):
        ratelimit.hit("test", "a", limit=1999, lease=True)
        assert django_cache.get(f"{ratelimit.PREFIX}:test:a:600") == n
