"""Every anonymous data-API path answers its 429 with ``Retry-After`` (seconds to the window's
end), whatever its format: CKAN, Datasette, DCAT, the catalogue API, the downloads."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/3/action/package_search",
    "/api/3/action/datastore_search?resource_id=enterprise-registry",
    "/data/enterprise-registry.json",
    "/data/enterprise-registry.csv",
    "/api/v1/catalog/resources",
    "/api/v1/catalog/resources/enterprise-registry",
    "/opendata/enterprise-registry/download.csv",
]


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_429_says_when(client, opendata, settings, path):
    settings.CATALOG_ANON_RATE_LIMIT = 1
    cache.clear()
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code, first.content[:300])
    second = client.get(path)
    assert second.status_code == 429, (path, second.status_code, second.content[:300])
    assert 1 <= int(second["Retry-After"]) <= 60
