"""The one result cache of datastore queries: counts, facets and aggregates through core.cache."""

from __future__ import annotations

from django.conf import settings

from zhengtong.core import cache

# The one result cache of datastore queries (core.cache; the compatibility layers use it too).
RESULTS_CACHE = "datastore.results"
RESULTS_TIMEOUT = 3600


def fetch_cached(cur, sql: str, params: list) -> list:
    """Results of count/facet/aggregate queries through core.cache: the SQL names the immutable
    version files, so a result never goes stale; kept in-process too for the hot facet paths."""
    if not settings.DATASTORE_RESULT_CACHE:
        return cur.execute(sql, params).fetchall()
    key = repr((sql, tuple(params)))  # repr keeps a date apart from its string
    return cache.cached(
        RESULTS_CACHE, key, lambda: cur.execute(sql, params).fetchall(), RESULTS_TIMEOUT, local=True
    )
