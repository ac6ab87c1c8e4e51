from __future__ import annotations

import pytest
from django.core.cache import cache as django_cache

from zhengtong.core import cache


class Counter:
    def __init__(self, value="v"):
        self.calls = 0
        self.value = value

    def __call__(self):
        self.calls += 1
        return self.value


def _bump_elsewhere(namespace: str) -> None:
    """What ``invalidate`` in another process does to the shared cache."""
    django_cache.incr(cache.version_key(namespace))


@pytest.fixture
def monotonic(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    return now


def test_cached_computes_once_until_invalidated():
    compute = Counter([1, 2])
    assert cache.cached("t", "k", compute, 60) == [1, 2]
    assert cache.cached("t", "k", compute, 60) == [1, 2]
    assert compute.calls == 1
    cache.invalidate("t")
    assert cache.cached("t", "k", compute, 60) == [1, 2]
    assert compute.calls == 2


def test_keys_and_namespaces_are_apart():
    a, b, c = Counter("a"), Counter("b"), Counter("c")
    assert cache.cached("t", "k1", a, 60) == "a"
    assert cache.cached("t", "k2", b, 60) == "b"
    assert cache.cached("u", "k1", c, 60) == "c"
    cache.invalidate("u")
    assert cache.cached("t", "k1", a, 60) == "a" and a.calls == 1


def test_none_is_cached_and_zero_timeout_is_off():
    compute = Counter(None)
    assert cache.cached("t", "k", compute, 60) is None
    assert cache.cached("t", "k", compute, 60) is None
    assert compute.calls == 1
    off = Counter()
    cache.cached("t", "off", off, 0)
    cache.cached("t", "off", off, 0)
    assert off.calls == 2


def test_shared_values_see_another_process_invalidate_at_once():
    compute = Counter()
    cache.cached("t", "k", compute, 60)
    _bump_elsewhere("t")
    cache.cached("t", "k", compute, 60)
    assert compute.calls == 2


def test_local_values_revalidate_within_the_bound(monotonic, settings):
    settings.CACHE_LOCAL_REVALIDATE_SECONDS = 2
    compute = Counter()
    cache.cached("t", "k", compute, 60, local=True)
    _bump_elsewhere("t")
    monotonic[0] += 1.5
    cache.cached("t", "k", compute, 60, local=True)
    assert compute.calls == 1  # within the bound the process may still serve its copy
    monotonic[0] += 1.0
    cache.cached("t", "k", compute, 60, local=True)
    assert compute.calls == 2


def test_local_values_expire_and_local_invalidation_is_immediate(monotonic):
    compute = Counter()
    cache.cached("t", "k", compute, 10, local=True, shared=False)
    cache.invalidate("t")
    cache.cached("t", "k", compute, 10, local=True, shared=False)
    assert compute.calls == 2
    monotonic[0] += 11
    cache.cached("t", "k", compute, 10, local=True, shared=False)
    assert compute.calls == 3


def test_a_value_must_live_somewhere():
    with pytest.raises(ValueError):
        cache.cached("t", "k", Counter(), 10, local=False, shared=False)


def test_clear_forgets_everything():
    compute = Counter()
    cache.cached("t", "k", compute, 60, local=True)
    cache.clear()
    cache.cached("t", "k", compute, 60, local=True)
    assert compute.calls == 2


def test_a_namespace_with_its_own_bound_keeps_apart_from_the_others():
    other = Counter()
    cache.cached("t", "k", other, 60, local=True, shared=False)
    tokens = Counter()
    for i in range(3):
        cache.cached("many", str(i), tokens, 60, local=True, shared=False, local_max=2)
    assert tokens.calls == 3
    cache.cached("many", "2", tokens, 60, local=True, shared=False, local_max=2)
    cache.cached("many", "1", tokens, 60, local=True, shared=False, local_max=2)
    assert tokens.calls == 3  # the two newest are kept
    cache.cached("many", "0", tokens, 60, local=True, shared=False, local_max=2)
    assert tokens.calls == 4  # the oldest went, over the namespace's own bound
    cache.cached("t", "k", other, 60, local=True, shared=False)
    assert other.calls == 1  # the other namespaces' entries were not evicted
    cache.invalidate("many")
    cache.cached("many", "0", tokens, 60, local=True, shared=False, local_max=2)
    assert tokens.calls == 5
    with pytest.raises(ValueError):
        cache.cached("many", "0", tokens, 60, shared=True, local_max=2)
