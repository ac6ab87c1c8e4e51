"""``core.rediscache`` against a real Redis (TEST_REDIS_URL, else the local one at 127.0.0.1:6379
database 15 when it answers; skipped with the reason otherwise)."""

from __future__ import annotations

import os
import time

import pytest
import redis
from django.core.cache import caches

from zhengtong.core import cache

URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def _reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _reachable(), reason=f"no Redis answers at {URL}")


@pytest.fixture
def on_redis(settings):
    settings.CACHES = {"default": {"BACKEND": "zhengtong.core.rediscache.RedisCache", "LOCATION": URL}}
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()
    caches.close_all()


def test_incr_returns_the_exact_value_past_two_to_the_53(on_redis):
    start = time.time_ns()  # what core.cache starts a namespace's version at
    on_redis.set("big", start, timeout=None)
    assert on_redis.incr("big") == start + 1
    assert on_redis.incr("big", 2) == start + 3
    assert on_redis.get("big") == start + 3
    with pytest.raises(ValueError):
        on_redis.incr("missing")


def test_a_namespace_invalidated_again_is_computed_afresh_each_time(on_redis, settings):
    """The process that invalidates keeps the new version (CACHE_LOCAL_REVALIDATE_SECONDS): a
    version rounded on its way back would name the entries of the one before."""
    settings.CACHE_LOCAL_REVALIDATE_SECONDS = 60
    computed = []

    def compute():
        computed.append(len(computed) + 1)
        return computed[-1]

    cache.clear()
    on_redis.set(cache.version_key("test.rediscache"), 2**60, timeout=None)  # +1, +2, +3 round to it
    for expected in (1, 2, 3, 4):
        assert cache.cached("test.rediscache", "k", compute, 60, local=True) == expected
        assert cache.cached("test.rediscache", "k", compute, 60) == expected
        cache.invalidate("test.rediscache")
    assert on_redis.get(cache.version_key("test.rediscache")) == 2**60 + 4
