"""Django's Redis cache backend (``CACHES["default"]`` when ``REDIS_URL`` is set), with two costs
of the stock client removed from the hot paths (rate limits and ``core.cache`` on every exchange,
verification and API call):

- the stock client builds a new ``redis.Redis`` object for every operation (about 0.2 ms of CPU:
  its response-callback tables are rebuilt each time); here one is kept per connection pool;
- the stock ``incr`` asks ``EXISTS`` and then ``INCRBY`` (two round trips); here one script does
  both, atomically, and still raises ``ValueError`` for a missing key as Django's contract says;
- ``count`` (what ``core.ratelimit`` counts with) creates or increments a counter and sets its
  lifetime once, in one round trip (``INCRBY`` then ``EXPIRE NX``, pipelined); Django stores
  integers unpickled, so ``get`` reads the counter back as an int.

Everything else (serialization, key naming, timeouts) is Django's.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis

_INCR = (
    "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end return nil"
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
        return value

    def count(self, key, delta, timeout):
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.incrby(key, delta)
        if timeout is not None:
            pipe.expire(key, timeout, nx=True)
        return int(pipe.execute()[0])


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key, delta=1, timeout=django_redis.DEFAULT_TIMEOUT, version=None) -> int:
        """Add ``delta`` to the counter ``key`` (created at ``delta`` when missing, living
        ``timeout`` seconds from its creation), in one round trip; the new value."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.count(key, delta, self.get_backend_timeout(timeout))
