"""The row API's lean service (``catalog.wsgi_rows``): the same answers as the full site for
the row endpoints, the same visibility rules for anonymous callers, a 404 for everything else."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db


def _call(app, path: str, params: dict | None = None, headers: dict | None = None):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(params or {}, doseq=True),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **(headers or {}),
    }
    status = []
    body = b"".join(app(environ, lambda s, h, *_a: status.append((s, dict(h)))))
    return int(status[0][0].split()[0]), status[0][1], body


@pytest.fixture
def app():
    """The service, with the database connection kept across requests (as the test client does:
    the test's transaction stays open)."""
    from django.core import signals
    from django.db import close_old_connections

    from zhengtong.catalog import wsgi_rows

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield wsgi_rows.application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


QUERIES = [
    {"_shape": "objects", "_size": "7", "district": "西湖区", "_sort_desc": "capital"},
    {"_size": "5", "status": "存续", "capital__lt": "300", "_sort": "capital", "_facet": "district"},
    {"_size": "3", "_search": "示例企业", "_shape": "objects"},
    {"_size": "2", "_sort": "capital", "capital__gt": "900", "_nocount": "1"},
    {"_size": "bad"},
]


@pytest.mark.parametrize("params", QUERIES)
def test_datasette_json_is_the_full_sites(client, opendata, app, params):
    status, headers, body = _call(app, "/data/enterprise-registry.json", params)
    full = client.get("/data/enterprise-registry.json", params)
    assert status == full.status_code
    ours, theirs = json.loads(body), full.json()
    for body in (ours, theirs):
        body.pop("query_ms", None)
        # a cursor is signed with its time: the same up to the signature
        body["next"] = bool(body.get("next"))
        body["next_url"] = (body.get("next_url") or "").split("_next=")[0]
    assert ours == theirs
    assert "Set-Cookie" not in headers


def test_ckan_datastore_search_is_the_full_sites(client, opendata, app):
    params = {"resource_id": "enterprise-registry", "limit": "5", "filters": json.dumps({"status": "存续"})}
    status, _h, body = _call(app, "/api/3/action/datastore_search", params)
    full = client.get("/api/3/action/datastore_search", params)
    assert status == full.status_code == 200
    ours, theirs = json.loads(body), full.json()
    assert ours["result"]["records"] == theirs["result"]["records"]
    assert ours["result"]["total"] == theirs["result"]["total"]


def test_only_open_datasets_anonymously(opendata, app):
    opendata.publish(
        "conditional-set", "有条件开放", "Conditional", opendata.rows[:20], openness="conditional"
    )
    status, _h, body = _call(app, "/data/conditional-set.json")
    assert status == 403 and json.loads(body)["ok"] is False
    # a session cookie is not read here: still anonymous
    status, _h, _b = _call(app, "/data/conditional-set.json", headers={"HTTP_COOKIE": "sessionid=whatever"})
    assert status == 403


def test_rate_limited_through_core_ratelimit(opendata, app, settings):
    settings.CATALOG_ANON_RATE_LIMIT = 2
    codes = [_call(app, "/data/enterprise-registry.json", {"_size": "1"})[0] for _i in range(4)]
    assert codes[:2] == [200, 200] and codes[-1] == 429


@pytest.mark.parametrize("path", ["/opendata/", "/api/v1/catalog/resources", "/admin/", "/data/x.csv"])
def test_other_paths_are_not_served(app, path):
    status, _h, body = _call(app, path)
    assert status == 404 and json.loads(body)["ok"] is False
