"""CKAN Action API: envelopes, shapes, errors, paging, datastore_search."""

from __future__ import annotations

import csv
import io
import json

import pytest

pytestmark = pytest.mark.django_db


def call(client, action, method="get", **params):
    if method == "post":
        response = client.post(
            f"/api/3/action/{action}", data=json.dumps(params), content_type="application/json"
        )
    else:
        response = client.get(f"/api/3/action/{action}", params)
    body = response.json()
    assert body["help"].endswith(f"/api/3/action/help_show?name={action}")
    return response.status_code, body


def ok(client, action, **params):
    status, body = call(client, action, **params)
    assert status == 200, body
    assert body["success"] is True
    return body["result"]


def error(client, action, status, kind, **params):
    got, body = call(client, action, **params)
    assert got == status, body
    assert body["success"] is False
    assert body["error"]["__type"] == kind
    assert body["error"]["message"]
    return body["error"]


# --- catalogue actions ------------------------------------------------------------------------


def test_package_list_and_show_shape(client, opendata):
    assert ok(client, "package_list") == ["enterprise-registry"]
    package = ok(client, "package_show", id="enterprise-registry")
    for key in [
        "id",
        "name",
        "title",
        "notes",
        "organization",
        "tags",
        "groups",
        "resources",
        "metadata_created",
        "metadata_modified",
        "license_id",
        "extras",
        "num_resources",
        "num_tags",
        "state",
        "type",
        "private",
        "owner_org",
    ]:
        assert key in package, key
    assert package["title"] == "企业登记信息"
    assert package["organization"]["title"] == "西湖区市场监督管理局"
    assert package["organization"]["name"] == "330106-scjg"
    assert {t["name"] for t in package["tags"]} == {"企业", "市场主体", "登记 信息"}
    assert package["groups"][0]["name"] == "economy"
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["openness"] == "unconditional"
    assert extras["grade"] == "L3"
    assert extras["update_frequency"] == "monthly"
    # the data table first, then the further resources (here its data dictionary)
    resource, dictionary = package["resources"]
    assert (dictionary["resource_type"], dictionary["position"]) == ("dictionary", 1)
    assert resource["id"] == "enterprise-registry"
    assert resource["datastore_active"] is True
    assert resource["format"] == "CSV"
    assert resource["url"].endswith("/data/enterprise-registry.csv?_stream=on")
    # by numeric id too, and through POST with a JSON body
    assert ok(client, "package_show", id=package["id"])["name"] == "enterprise-registry"
    assert ok(client, "package_show", method="post", id="enterprise-registry")["id"] == package["id"]
    # the unversioned path ckanapi uses
    assert client.get("/api/action/package_show", {"id": "enterprise-registry"}).json()["success"] is True


def test_api_calls_are_counted(client, opendata):
    from zhengtong.catalog.models import UsageDaily

    ok(client, "package_show", id="enterprise-registry")
    ok(client, "datastore_search", resource_id="enterprise-registry", limit=1)
    assert sum(UsageDaily.objects.filter(resource=opendata.resource).values_list("api_calls", flat=True)) == 2


def test_error_types(client, opendata):
    err = error(client, "package_show", 404, "Not Found Error", id="no-such-dataset")
    assert "no-such-dataset" in err["message"]
    err = error(client, "package_show", 409, "Validation Error")
    assert "id" in err
    response = client.get("/api/3/action/no_such_action")
    # CKAN answers with a bare string, not the envelope.
    assert response.status_code == 400
    assert response.json() == "Bad request - Action name not known: no_such_action"
    response = client.post("/api/3/action/package_search", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON Error" in response.json()["error"]["message"]
    response = client.get("/api/3/action/package_show", {"id": "x"}, HTTP_AUTHORIZATION="zt_bad_token")
    assert response.status_code == 403
    assert response.json()["error"]["__type"] == "Authorization Error"
    ok(client, "help_show", name="package_search")


def test_drafts_and_conditional_rows(client, opendata):
    opendata.publish("draft-set", "草稿", "Draft", opendata.rows[:5], state="draft")
    opendata.publish(
        "conditional-set", "有条件数据", "Conditional", opendata.rows[:5], openness="conditional"
    )
    error(client, "package_show", 404, "Not Found Error", id="draft-set")
    assert "draft-set" not in ok(client, "package_list")
    # conditional: metadata visible, rows need an approved application
    assert ok(client, "package_show", id="conditional-set")["extras"]
    err = error(client, "datastore_search", 403, "Authorization Error", resource_id="conditional-set")
    assert "conditional" in err["message"]


def test_package_search_q_fq_facets_sort(client, opendata):
    opendata.publish(
        "air-quality",
        "空气质量小时数据",
        "Hourly air quality",
        opendata.rows[:3],
        domain="environment",
        keywords=["空气", "环境 监测"],
        update_frequency="hourly",
        department=opendata.world.yiwu_scjg,
        org_unit=opendata.world.yiwu,
    )
    result = ok(client, "package_search", q="空气")
    assert result["count"] == 1 and result["results"][0]["name"] == "air-quality"
    assert ok(client, "package_search", q="*:*")["count"] == 2
    assert ok(client, "package_search", fq="groups:environment")["count"] == 1
    assert ok(client, "package_search", fq='tags:"环境 监测"')["results"][0]["name"] == "air-quality"
    assert (
        ok(client, "package_search", fq="organization:330106-scjg")["results"][0]["name"]
        == "enterprise-registry"
    )
    assert (
        ok(client, "package_search", fq="+update_frequency:hourly AND openness:unconditional")["count"] == 1
    )
    assert ok(client, "package_search", fq="groups:(environment OR economy)")["count"] == 2
    result = ok(
        client,
        "package_search",
        **{"facet.field": json.dumps(["organization", "groups", "tags", "res_format"]), "facet.limit": "1"},
    )
    groups = result["search_facets"]["groups"]["items"]
    assert len(groups) == 1 and groups[0]["count"] == 1
    assert result["search_facets"]["organization"]["items"][0]["name"] in ("330106-scjg", "330782-scjg")
    # in the resources' case (they say "CSV"), so fq=res_format:CSV finds them
    assert result["facets"]["res_format"] == {"CSV": 2}
    titles = [p["title"] for p in ok(client, "package_search", sort="title_string asc")["results"]]
    assert titles == sorted(titles)
    err = error(client, "package_search", 409, "Validation Error", sort="name; DROP TABLE x")
    assert "sort" in err
    err = error(client, "package_search", 409, "Validation Error", fq="secret_field:1")
    assert "fq" in err and "secret_field" in err["fq"][0]
    # rows above 1,000 are capped silently, as CKAN does
    assert ok(client, "package_search", rows="100000")["count"] == 2
    err = error(client, "package_search", 409, "Validation Error", rows="-1")
    assert "rows" in err
    err = error(client, "package_search", 409, "Validation Error", **{"facet.field": '["password"]'})
    assert "facet.field" in err


def test_package_search_pages_past_1000(client, opendata):
    from zhengtong.catalog.models import DataResource

    base = opendata.resource
    DataResource.objects.bulk_create(
        [
            DataResource(
                name=f"bulk-{i:04d}",
                title=f"批量数据{i:04d}",
                department=base.department,
                org_unit=base.org_unit,
                state="published",
                keywords=[],
            )
            for i in range(1030)
        ]
    )
    names = []
    for start in (0, 1000):
        result = ok(client, "package_search", rows=1000, start=start, sort="title_string asc")
        assert result["count"] == 1031
        names += [p["name"] for p in result["results"]]
    assert len(names) == 1031 == len(set(names))
    deep = ok(client, "package_search", rows=10, start=1025, sort="title_string asc")
    assert len(deep["results"]) == 6
    assert len(ok(client, "package_list", limit=2000)) == 1031


def test_organizations_groups_tags_resource(client, opendata):
    names = ok(client, "organization_list")
    assert "330106-scjg" in names
    orgs = ok(client, "organization_list", all_fields="true", sort="package_count desc")
    assert orgs[0]["name"] == "330106-scjg" and orgs[0]["package_count"] == 1
    org = ok(client, "organization_show", id="330106-scjg", include_datasets="true")
    assert org["title"] == "西湖区市场监督管理局" and org["packages"][0]["name"] == "enterprise-registry"
    error(client, "organization_show", 404, "Not Found Error", id="999999-none")
    groups = ok(client, "group_list", all_fields="true")
    economy = next(g for g in groups if g["name"] == "economy")
    assert economy["package_count"] == 1
    assert "economy" in ok(client, "group_list")
    assert ok(client, "tag_list") == ["企业", "市场主体", "登记 信息"]
    assert ok(client, "tag_list", query="市场") == ["市场主体"]
    resource = ok(client, "resource_show", id="enterprise-registry")
    assert resource["datastore_active"] is True and resource["row_count"] == 1205
    error(client, "resource_show", 404, "Not Found Error", id="nope")


# --- datastore_search -------------------------------------------------------------------------


def test_datastore_search_defaults_and_fields(client, opendata):
    result = ok(client, "datastore_search", resource_id="enterprise-registry")
    assert result["total"] == 1205
    assert result["limit"] == 100 and len(result["records"]) == 100
    ids = [f["id"] for f in result["fields"]]
    assert ids[:4] == ["_id", "credit_code", "name", "district"]
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types["capital"] == "numeric" and types["employees"] == "int" and types["founded"] == "date"
    assert result["_links"]["next"].startswith("/api/3/action/datastore_search?")
    assert "offset=100" in result["_links"]["next"]


def test_datastore_search_filters_sort_q_fields_offset(client, opendata):
    rows = opendata.rows
    result = ok(
        client,
        "datastore_search",
        resource_id="enterprise-registry",
        filters=json.dumps({"district": "西湖区", "status": ["存续", "在业"]}),
        sort="capital desc, name",
        fields="name,capital,district",
        limit=5,
        offset=2,
    )
    expected = sorted(
        (r for r in rows if r["district"] == "西湖区" and r["status"] in ("存续", "在业")),
        key=lambda r: (-r["capital"], r["name"]),
    )
    assert result["total"] == len(expected)
    assert [r["name"] for r in result["records"]] == [r["name"] for r in expected[2:7]]
    assert set(result["records"][0]) == {"name", "capital", "district"}
    # comparison operators (CKAN 2.12) and q full text
    result = ok(
        client,
        "datastore_search",
        method="post",
        resource_id="enterprise-registry",
        filters={"employees": {"gte": 490}},
        q="示例企业0001",
        include_total=True,
    )
    assert all(r["employees"] >= 490 and "示例企业0001" in r["name"] for r in result["records"])
    assert result["total"] == sum(1 for r in rows if r["employees"] >= 490 and "示例企业0001" in r["name"])
    # per-field q
    result = ok(
        client, "datastore_search", resource_id="enterprise-registry", q=json.dumps({"name": "00042"})
    )
    assert [r["name"] for r in result["records"]] == ["杭州示例企业00042有限公司"]
    # include_total false
    result = ok(client, "datastore_search", resource_id="enterprise-registry", include_total="false", limit=1)
    assert "total" not in result


def test_datastore_search_records_formats(client, opendata):
    params = {"resource_id": "enterprise-registry", "fields": "name,employees", "sort": "name", "limit": 3}
    lists = ok(client, "datastore_search", records_format="lists", **params)
    assert lists["records"][0] == ["杭州示例企业00000有限公司", 0]
    text = ok(client, "datastore_search", records_format="csv", **params)["records"]
    assert list(csv.reader(io.StringIO(text)))[1] == ["杭州示例企业00001有限公司", "13"]
    tsv = ok(client, "datastore_search", records_format="tsv", **params)["records"]
    assert tsv.splitlines()[0] == "杭州示例企业00000有限公司\t0"
    error(
        client,
        "datastore_search",
        409,
        "Validation Error",
        records_format="xml",
        **{"resource_id": "enterprise-registry"},
    )


def test_datastore_search_keyset_next_page(client, opendata):
    seen = []
    params = {"resource_id": "enterprise-registry", "sort": "name", "limit": 500, "fields": "name"}
    result = ok(client, "datastore_search", **params)
    seen += [r["name"] for r in result["records"]]
    while "next_page" in result:
        result = ok(client, "datastore_search", next_page=result["next_page"], **params)
        seen += [r["name"] for r in result["records"]]
        if "next" in result["_links"]:
            assert "next_page=" in result["_links"]["next"]
    assert len(seen) == 1205 == len(set(seen))
    assert seen == sorted(seen)
    # the _links.next URL itself works
    first = ok(client, "datastore_search", **params)
    follow = client.get(first["_links"]["next"]).json()["result"]
    assert follow["records"][0]["name"] == seen[500]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "capital; DROP TABLE data; --"}, "sort"),
        ({"sort": 'name" desc, (SELECT 1)'}, "sort"),
        ({"fields": 'name,"; SELECT * FROM duckdb_settings() --'}, "fields"),
        ({"filters": json.dumps({"1=1 OR name": "x"})}, "filters"),
        ({"filters": json.dumps({"capital": "abc' OR '1'='1"})}, "filters"),
        ({"filters": json.dumps({"capital": {"like": "1"}})}, "filters"),
        ({"filters": "not json"}, "filters"),
        ({"q": json.dumps({"secret": "x"})}, "q"),
        ({"limit": "1000000000000000000000"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"offset": "abc"}, "offset"),
        ({"include_total": "maybe"}, "include_total"),
        ({"next_page": "forged-token"}, "next_page"),
    ],
)
def test_datastore_search_rejects_injection_and_bad_input(client, opendata, params, field):
    status, body = call(client, "datastore_search", resource_id="enterprise-registry", **params)
    assert status == 409, body
    assert body["error"]["__type"] == "Validation Error"
    assert field in body["error"] or field in body["error"]["message"], body


def test_datastore_search_not_found(client, opendata):
    error(client, "datastore_search", 404, "Not Found Error", resource_id="missing")
    error(client, "datastore_search", 409, "Validation Error")
