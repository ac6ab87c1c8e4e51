"""Acceptance: the ckanapi client (from PyPI) works unchanged against a running Zhengtong."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_ckanapi_remote_client(live_server, opendata):
    ckanapi = pytest.importorskip("ckanapi")
    site = ckanapi.RemoteCKAN(live_server.url, user_agent="zhengtong-acceptance/1.0")

    found = site.action.package_search(q="企业", rows=5, **{"facet.field": '["organization","tags"]'})
    assert found["count"] == 1
    assert found["results"][0]["name"] == "enterprise-registry"
    assert found["search_facets"]["organization"]["items"][0]["name"] == "330106-scjg"

    package = site.action.package_show(id="enterprise-registry")
    assert package["title"] == "企业登记信息"
    resource_id = package["resources"][0]["id"]

    page = site.action.datastore_search(
        resource_id=resource_id, filters={"district": "西湖区"}, sort="capital desc", limit=5
    )
    assert page["total"] == sum(1 for r in opendata.rows if r["district"] == "西湖区")
    assert len(page["records"]) == 5
    assert all("*" in r["representative_id"] for r in page["records"])

    # errors come back as ckanapi's own exceptions
    with pytest.raises(ckanapi.NotFound):
        site.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.ValidationError):
        site.action.datastore_search(resource_id=resource_id, sort="capital; DROP TABLE data")

    # GET-only mode (plain query strings) works too
    getter = ckanapi.RemoteCKAN(live_server.url, get_only=True)
    assert getter.action.package_list() == ["enterprise-registry"]
