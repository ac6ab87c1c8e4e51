"""Django's Redis cache backend, with one client object per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call, and
redis-py fills a table of some two hundred response callbacks each time: about 0.3 ms of CPU per
call, more than the round trip itself, on paths that read the cache on every request (the
session, ``core.cache``). A ``redis.Redis`` is safe to share between threads (it takes a
connection from its pool per command), so one per pool is kept. Everything else is Django's."""

from __future__ import annotations

from functools import cached_property

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    """``CACHES`` backend ``zhengtong.core.redis_cache.RedisCache`` (settings, with ``REDIS_URL``)."""

    @cached_property
    def _cache(self):
        return RedisCacheClient(self._servers, **self._options)
