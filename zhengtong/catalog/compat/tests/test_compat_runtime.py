"""Keys, rate limits, downloads and the per-process caches of the compatibility layer."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def test_csv_download_is_public_variant_and_counted(client, opendata):
    from zhengtong.catalog.models import UsageDaily

    response = client.get("/data/enterprise-registry.csv", {"_stream": "on"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1205
    assert all("*" in r["representative_id"] and "*" in r["phone"] for r in rows)
    assert UsageDaily.objects.get(resource=opendata.resource).downloads == 1
    assert client.get("/data/missing.csv").status_code == 404


def test_data_api_key_and_rate_limit(client, opendata, world, settings):
    from zhengtong.catalog.services import api_key_create

    _key, secret = api_key_create(actor=world.citizen, name="notebook")
    response = client.get(
        "/api/3/action/package_show", {"id": "enterprise-registry"}, HTTP_AUTHORIZATION=secret
    )
    assert response.status_code == 200
    response = client.get("/api/3/action/package_show", {"id": "x"}, HTTP_AUTHORIZATION="ztd_forged_x")
    assert response.status_code == 403 and response.json()["error"]["__type"] == "Authorization Error"
    assert client.get("/data/enterprise-registry.json", HTTP_X_CKAN_API_KEY="ztd_bad_x").status_code == 403

    settings.CATALOG_ANON_RATE_LIMIT = 2
    from django.core.cache import cache

    cache.clear()
    statuses = [client.get("/api/3/action/package_list").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/api/3/action/package_list")
    body = response.json()
    assert body["success"] is False and body["error"]["__type"] == "Rate Limit Error"
    assert 1 <= int(response["Retry-After"]) <= 60
    response = client.get("/data/enterprise-registry.json")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60


def test_usage_counts_are_batched(client, opendata, monkeypatch):
    from zhengtong.catalog.compat import common
    from zhengtong.catalog.models import UsageDaily

    monkeypatch.setattr(common, "USAGE_FLUSH_SECONDS", 3600.0)
    common._last_flush[0] = __import__("time").monotonic()
    for _ in range(3):
        assert client.get("/data/enterprise-registry.json", {"_size": "1"}).status_code == 200
    assert not UsageDaily.objects.filter(resource=opendata.resource).exists()
    common.flush_usage()
    assert UsageDaily.objects.get(resource=opendata.resource).api_calls == 3


def test_repeats_reach_the_engine_and_keep_variants_apart(client, opendata, world, monkeypatch):
    """The compatibility layer keeps no result cache of its own: the datastore's one serves it."""
    from zhengtong.accounts.services import api_token_create
    from zhengtong.datastore import engine

    calls = []
    real = engine.query
    monkeypatch.setattr(engine, "query", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    # (_nosuggest: suggested facets would be a second engine query per request)
    params = {"_size": "1", "_sort": "name", "_shape": "objects", "_col": "phone", "_nosuggest": "1"}
    first = client.get("/data/enterprise-registry.json", params).json()
    second = client.get("/data/enterprise-registry.json", params).json()
    assert first["rows"] == second["rows"] and len(calls) == 2
    officer = world.staff("officer2", "data_officer", world.xihu)
    _row, token = api_token_create(actor=officer, name="t", scopes=["read"], days=1)
    raw = client.get("/data/enterprise-registry.json", params, HTTP_AUTHORIZATION=token).json()
    assert len(calls) == 3
    assert raw["rows"][0]["phone"] == opendata.rows[0]["phone"] != first["rows"][0]["phone"]


def test_anonymous_resource_lookup_cache_expires(client, opendata, monkeypatch):
    from zhengtong.catalog.compat import common
    from zhengtong.core import cache

    monkeypatch.setattr(common, "ANON_RESOURCE_TTL", 3600.0)
    assert client.get("/api/3/action/package_show", {"id": "enterprise-registry"}).status_code == 200
    opendata.resource.state = "retired"
    opendata.resource.save(update_fields=["state"])
    # within the TTL the cached metadata answers; once it expires the retirement shows
    assert client.get("/api/3/action/package_show", {"id": "enterprise-registry"}).status_code == 200
    cache.invalidate(common.ANON_RESOURCES_CACHE)
    assert client.get("/api/3/action/package_show", {"id": "enterprise-registry"}).status_code == 404
