"""The one cache: versioned keys on Django's cache, invalidation that reaches every process.

    value = cache.cached("calendar.overrides", "all", compute, timeout=60)
    cache.invalidate("calendar.overrides")      # after a write, in any process

Every namespace has a version number stored in the shared cache (``CACHES["default"]``); a
value is stored under ``<namespace>:v<version>:<key>``. ``invalidate`` bumps the version, so
every process that reads the namespace afterwards misses and recomputes; the old entries age
out by their timeout. How far "every process" reaches is how far ``CACHES`` is shared: Redis
(``REDIS_URL``) across machines, the default file cache across the processes of one node.

Hot paths may add ``local=True``: the value is also kept in a small per-process front cache
(bounded to ``LOCAL_MAX_ENTRIES`` entries, never longer than ``timeout``). A process
revalidates the namespace version it uses against the shared cache at most every
``CACHE_LOCAL_REVALIDATE_SECONDS`` (default 2 s), so an invalidation made by another process
shows within that bound; one made by this process shows at once. ``shared=False`` (with
``local=True``) keeps a value that cannot be pickled (e.g. parsed public keys) in the process
only; its namespace version, and so its invalidation, is still shared. ``local_max=N`` keeps the
call's values in a front cache of their own for the namespace, bounded to N entries, so a namespace
of many small values (verified tokens) neither evicts nor is evicted by the others; that bound is
the namespace's, whichever call set it first. This module is the only place
a per-process cache of shared data may live (docs/architecture.md, "Caches and rate limits").

``clear()`` forgets everything (tests call it between tests; conftest.py).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache as _shared

T = TypeVar("T")

PREFIX = "zt:c"
LOCAL_MAX_ENTRIES = 1024
LOCAL_MAX_VERSIONS = 16384
# A value that stands for "computed, and it was None" in the shared cache (get() returns None on a miss).
_NONE = "__zt_cache_none__"

_lock = threading.Lock()
# namespace -> (version, monotonic time it was last read from the shared cache)
_versions: dict[str, tuple[int, float]] = {}
# (namespace, version, key) -> (monotonic expiry, value)
_front: OrderedDict[tuple[str, int, str], tuple[float, Any]] = OrderedDict()
# namespace -> (its bound, its own front cache): namespaces cached with ``local_max``
_own: dict[str, tuple[int, OrderedDict[tuple[str, int, str], tuple[float, Any]]]] = {}


def version_key(namespace: str) -> str:
    """The shared-cache key holding the namespace's version."""
    return f"{PREFIX}:{namespace}:version"


def _read_version(namespace: str) -> int:
    version = _shared.get(version_key(namespace))
    if version is None:
        # First use anywhere (or the shared cache was flushed): start a version nobody had, so a
        # flushed cache never serves entries stored under an older version 1.
        version = time.time_ns()
        if not _shared.add(version_key(namespace), version, timeout=None):
            version = _shared.get(version_key(namespace), version)
    with _lock:
        if len(_versions) >= LOCAL_MAX_VERSIONS:
            # Namespaces per object (a person's record) would grow this without bound: forget
            # every remembered version; each is read again from the shared cache on next use.
            _versions.clear()
        _versions[namespace] = (version, time.monotonic())
    return version


def version(namespace: str, *, fresh: bool = False) -> int:
    """The namespace's current version (from the per-process copy when it is recent enough)."""
    if not fresh:
        with _lock:
            known = _versions.get(namespace)
        if known is not None and time.monotonic() - known[1] < settings.CACHE_LOCAL_REVALIDATE_SECONDS:
            return known[0]
    return _read_version(namespace)


def cached(
    namespace: str,
    key: str,
    compute: Callable[[], T],
    timeout: float,
    *,
    local: bool = False,
    shared: bool = True,
    local_max: int | None = None,
) -> T:
    """``compute()``'s value for ``key`` in ``namespace``: from the cache when this version of the
    namespace holds it, else computed, stored for ``timeout`` seconds and returned. With
    ``local=True`` the value is also kept in this process (in the namespace's own front cache of
    ``local_max`` entries when given); ``shared=False`` keeps it only there (see the module
    docstring)."""
    if not (local or shared):
        raise ValueError("a value must be cached locally, shared, or both")
    if local_max is not None and not (local and local_max > 0):
        raise ValueError("local_max bounds a local cache of at least one entry")
    if timeout <= 0:
        return compute()
    # Keys may be long or hold spaces (SQL): hashed, so every cache backend accepts them.
    key = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    current = version(namespace, fresh=not local)
    front_key = (namespace, current, key)
    now = time.monotonic()
    front, bound = _front, LOCAL_MAX_ENTRIES
    if local_max is not None:
        with _lock:
            bound, front = _own.setdefault(namespace, (local_max, OrderedDict()))
    if local:
        with _lock:
            hit = front.get(front_key)
            if hit is not None and hit[0] > now:
                front.move_to_end(front_key)
                return hit[1]
    if shared:
        full_key = f"{PREFIX}:{namespace}:v{current}:{key}"
        value = _shared.get(full_key)
        if value is None:
            value = compute()
            _shared.set(full_key, _NONE if value is None else value, timeout=timeout)
        elif isinstance(value, str) and value == _NONE:
            value = None
    else:
        value = compute()
    if local:
        with _lock:
            front[front_key] = (now + timeout, value)
            while len(front) > bound:
                front.popitem(last=False)
    return value


def invalidate(namespace: str) -> None:
    """Drop every value of ``namespace`` in every process that shares ``CACHES`` (this one at
    once, others at their next revalidation)."""
    try:
        new = _shared.incr(version_key(namespace))
    except ValueError:  # never used, or the shared cache lost it
        new = time.time_ns()
        _shared.set(version_key(namespace), new, timeout=None)
    with _lock:
        _versions[namespace] = (new, time.monotonic())
        for front_key in [k for k in _front if k[0] == namespace]:
            del _front[front_key]
        if namespace in _own:
            _own[namespace][1].clear()


def clear() -> None:
    """Forget every cached value and namespace version, shared and per-process (for tests)."""
    _shared.clear()
    with _lock:
        _versions.clear()
        _front.clear()
        _own.clear()
