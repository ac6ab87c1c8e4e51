"""Django's Redis cache backend (``CACHES["default"]`` when ``REDIS_URL`` is set), with two costs
of the stock client removed from the hot paths (rate limits and ``core.cache`` on every exchange,
verification and API call):

- the stock client builds a new ``redis.Redis`` object for every operation (about 0.2 ms of CPU:
  its response-callback tables are rebuilt each time); here one is kept per connection pool;
- the stock ``incr`` asks ``EXISTS`` and then ``INCRBY`` (two round trips); here one script does
  both, atomically, returns the exact new value (past 2**53 too), and still raises ``ValueError``
  for a missing key as Django's contract says;
- ``count`` (what ``core.ratelimit`` counts with) creates or increments a counter and sets its
  lifetime once, in one round trip (``INCRBY`` then ``EXPIRE NX``, pipelined); Django stores
  integers unpickled, so ``get`` reads the counter back as an int;
- ``count_and_get`` adds a ``GET`` of another key to that same round trip (a request that is
  counted against one limit and checked against a failure budget: the public 办件查询).

Everything else (serialization, key naming, timeouts) is Django's.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis

# The new value is returned as Redis stores it (a string): Lua numbers are doubles, so an integer
# reply passed through Lua loses its low digits past 2**53 (core.cache's namespace versions start at
# time.time_ns(), about 1.8e18: an INCRBY's result came back rounded, the same for every later
# increment, and the invalidating process went on reading the old version's entries).
_INCR = (
    "if redis.call('exists', KEYS[1]) == 1 then redis.call('incrby', KEYS[1], ARGV[1])"
    " return redis.call('get', KEYS[1]) end return nil"
)


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        found = self._clients.get(pool)
        if found is None:
            client = self._client(connection_pool=pool)
            found = self._clients.setdefault(pool, (client, client.register_script(_INCR)))
        return found[0]

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        value = self._clients[client.connection_pool][1](keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)

    def count(self, key, delta, timeout):
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.incrby(key, delta)
        if timeout is not None:
            pipe.expire(key, timeout, nx=True)
        return int(pipe.execute()[0])

    def count_and_get(self, key, delta, timeout, other):
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.incrby(key, delta)
        if timeout is not None:
            pipe.expire(key, timeout, nx=True)
        pipe.get(other)
        results = pipe.execute()
        return int(results[0]), self._serializer.loads(results[-1]) if results[-1] is not None else None


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key, delta=1, timeout=django_redis.DEFAULT_TIMEOUT, version=None) -> int:
        """Add ``delta`` to the counter ``key`` (created at ``delta`` when missing, living
        ``timeout`` seconds from its creation), in one round trip; the new value."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.count(key, delta, self.get_backend_timeout(timeout))

    def count_and_get(self, key, other, delta=1, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        """``count(key, delta, timeout)`` and ``get(other)`` in one round trip (pipelined):
        (the counter's new value, ``other``'s value or None). For a rate limit counted and a
        failure budget read on the same request (``core.ratelimit.hit_and_check``)."""
        key = self.make_and_validate_key(key, version=version)
        other = self.make_and_validate_key(other, version=version)
        return self._cache.count_and_get(key, delta, self.get_backend_timeout(timeout), other)
