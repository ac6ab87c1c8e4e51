"""CKAN 2.10/2.11 behaviour that clients rely on, through the ckanapi client against a running
server: every action of issue 15's list answers with CKAN's shapes."""

from __future__ import annotations

import ckanapi
import pytest
import requests

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, opendata):
    opendata.publish(
        "hz-bus-stops", "杭州公交站点", "Hangzhou bus stops", opendata.rows[:30], domain="transport"
    )
    return ckanapi.RemoteCKAN(live_server.url, user_agent="zhengtong-conformance/1.0")


def test_catalogue_actions(site, live_server, opendata):
    # current_package_list_with_resources: full packages with resources, newest first
    packages = site.action.current_package_list_with_resources(limit=10)
    assert [p["name"] for p in packages] == ["hz-bus-stops", "enterprise-registry"]
    assert packages[0]["resources"][0]["format"] == "CSV"
    assert (
        site.action.current_package_list_with_resources(limit=1, page=2)[0]["name"] == "enterprise-registry"
    )

    # res_format: the facet says what the resources say, and fq on it finds them
    found = site.action.package_search(**{"facet.field": '["res_format"]', "fq": "res_format:CSV"})
    assert found["count"] == 2
    assert [i["name"] for i in found["search_facets"]["res_format"]["items"]] == ["CSV"]
    # rows above CKAN's 1,000 are capped silently
    assert site.action.package_search(rows=5000)["count"] == 2
    # field queries in q
    found = site.action.package_search(q="name:hz-bus-stops")
    assert [p["name"] for p in found["results"]] == ["hz-bus-stops"]
    assert site.action.package_search(q="name:no-such")["count"] == 0
    # negated terms
    found = site.action.package_search(fq="-groups:transport")
    assert [p["name"] for p in found["results"]] == ["enterprise-registry"]

    # organisations carry their creation time
    org = site.action.organization_show(id="330106-scjg")
    assert org["created"] and org["created"].startswith("20")
    assert all(o["created"] for o in site.action.organization_list(all_fields=True) if o["package_count"])

    licences = site.action.license_list()
    assert {"id", "title", "url", "od_conformance"} <= set(licences[0])
    assert "CC-BY-4.0" in {item["id"] for item in licences}

    completions = site.action.package_autocomplete(q="bus")
    assert completions == [
        {
            "name": "hz-bus-stops",
            "title": "杭州公交站点",
            "match_field": "name",
            "match_displayed": "hz-bus-stops (杭州公交站点)",
        }
    ]
    assert site.action.package_autocomplete(q="企业登记")[0]["match_field"] == "title"

    # /api/3 and an unknown action, as CKAN answers them
    assert requests.get(live_server.url + "/api/3", timeout=10).json() == {"version": 3}
    response = requests.get(live_server.url + "/api/3/action/no_such_thing", timeout=10)
    assert response.status_code == 400
    assert response.json() == "Bad request - Action name not known: no_such_thing"


def test_datastore_actions(site, opendata):
    rows = opendata.rows
    page = site.action.datastore_search(resource_id="enterprise-registry", limit=3)
    assert page["fields"][0] == {"id": "_id", "type": "int"}
    assert [r["_id"] for r in page["records"]] == [1, 2, 3]
    assert page["records"][0]["name"] == rows[0]["name"]

    only = site.action.datastore_search(resource_id="enterprise-registry", fields="_id,name", limit=2)
    assert [f["id"] for f in only["fields"]] == ["_id", "name"]
    assert only["records"] == [{"_id": 1, "name": rows[0]["name"]}, {"_id": 2, "name": rows[1]["name"]}]

    # _id follows the row through filters and sorts
    filtered = site.action.datastore_search(
        resource_id="enterprise-registry", filters={"district": "滨江区"}, sort="employees desc", limit=5
    )
    for record in filtered["records"]:
        assert rows[record["_id"] - 1]["name"] == record["name"]

    # limit above CKAN's cap: capped silently, not refused
    from zhengtong.catalog.compat import common

    capped = site.action.datastore_search(resource_id="enterprise-registry", limit=40000, fields="_id")
    cap = common.datastore_limit_max()
    assert capped["limit"] == cap
    assert [r["_id"] for r in capped["records"]] == list(range(1, min(len(rows), cap) + 1))

    distinct = site.action.datastore_search(
        resource_id="enterprise-registry", fields="district,status", distinct=True, limit=100
    )
    expected = {(r["district"], r["status"]) for r in rows}
    assert distinct["total"] == len(expected)
    assert {(r["district"], r["status"]) for r in distinct["records"]} == expected

    info = site.action.datastore_info(id="enterprise-registry")
    assert info["meta"]["count"] == len(rows)
    assert info["fields"][0]["id"] == "_id"
    assert [f["id"] for f in info["fields"][1:4]] == ["credit_code", "name", "district"]
