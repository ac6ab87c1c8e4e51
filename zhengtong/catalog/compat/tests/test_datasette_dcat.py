"""Datasette-style table JSON, DCAT-AP RDF, and the never-raw guarantee on every outward path."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

# An open namespace (rdflib's DCAT is closed and warns when pytest probes module attributes).
DCAT = Namespace("http://www.w3.org/ns/dcat#")

pytestmark = pytest.mark.django_db

URL = "/data/enterprise-registry.json"


def get(client, url=URL, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status, response.content[:500]
    return response.json()


def test_default_shape(client, opendata):
    body = get(client)
    for key in (
        "rows",
        "columns",
        "next",
        "next_url",
        "facet_results",
        "filtered_table_rows_count",
        "query_ms",
    ):
        assert key in body, key
    assert body["ok"] is True and body["table"] == "enterprise-registry"
    assert len(body["rows"]) == 100 and isinstance(body["rows"][0], list)
    assert body["columns"][:2] == ["rowid", "credit_code"]
    assert body["filtered_table_rows_count"] == 1205
    assert body["units"] == {"capital": "万元"}
    assert body["next"] and "_next=" in body["next_url"]


def test_shapes_size_sort_columns(client, opendata):
    body = get(client, _shape="objects", _size="3", _sort_desc="capital", _col="name,capital")
    assert body["columns"] == ["rowid", "name", "capital"]
    assert [set(r) for r in body["rows"]] == [{"rowid", "name", "capital"}] * 3
    capitals = [r["capital"] for r in body["rows"]]
    assert capitals == sorted(capitals, reverse=True) and capitals[0] == max(
        r["capital"] for r in opendata.rows
    )
    response = client.get(URL, {"_shape": "array", "_size": "2", "_sort": "name", "_nocol": "phone"})
    array = response.json()
    assert isinstance(array, list) and len(array) == 2
    assert "phone" not in array[0] and array[0]["name"] == "杭州示例企业00000有限公司"
    assert 'rel="next"' in response["Link"]
    assert len(get(client, _size="max", _nocount="1")["rows"]) == 1000
    # /data/<name>/<version>.json
    assert get(client, "/data/enterprise-registry/1.json", _size="1")["version"] == 1
    get(client, "/data/enterprise-registry/9.json", status=404)


def test_filters(client, opendata):
    rows = opendata.rows

    def names(**params):
        body = get(client, _shape="objects", _size="max", _col="name", **params)
        return {r["name"] for r in body["rows"]}

    def expect(predicate):
        return {r["name"] for r in rows if predicate(r)}

    assert names(district="西湖区") == expect(lambda r: r["district"] == "西湖区")
    assert names(district__exact="西湖区", status__not="注销") == expect(
        lambda r: r["district"] == "西湖区" and r["status"] != "注销"
    )
    assert names(employees__gt="480") == expect(lambda r: r["employees"] > 480)
    assert names(employees__gte="480", employees__lt="490") == expect(lambda r: 480 <= r["employees"] < 490)
    assert names(capital__lte="10") == expect(lambda r: r["capital"] <= 10)
    assert names(name__contains="0004") == expect(lambda r: "0004" in r["name"])
    assert names(name__startswith="杭州示例企业0000") == expect(
        lambda r: r["name"].startswith("杭州示例企业0000")
    )
    assert names(status__in="存续,在业", district="滨江区") == expect(
        lambda r: r["status"] in ("存续", "在业") and r["district"] == "滨江区"
    )
    assert names(founded__gte="2020-01-01") == expect(lambda r: r["founded"].isoformat() >= "2020-01-01")
    assert names(phone__isnull="1") == set()


def test_facets_and_paging(client, opendata):
    body = get(client, _facet=["district", "status"], _size="1", status__not="注销")
    districts = {r["value"]: r["count"] for r in body["facet_results"]["district"]["results"]}
    expected = {}
    for r in opendata.rows:
        if r["status"] != "注销":
            expected[r["district"]] = expected.get(r["district"], 0) + 1
    assert districts == expected
    assert set(body["facet_results"]) == {"district", "status"}
    # walk every page with next_url
    seen, url, params = [], URL, {"_sort": "name", "_size": "400", "_col": "name"}
    while url:
        body = client.get(url, params).json()
        seen += [r[0] for r in body["rows"]]
        url, params = body["next_url"], {}
    assert len(seen) == 1205 == len(set(seen)) and seen == sorted(seen)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"name__regex": "x"}, "regex"),
        ({"_sort": "name; DROP TABLE data"}, "_sort"),
        ({"_sort_desc": "capital)"}, "_sort_desc"),
        ({"_facet": "password"}, "password"),
        ({"_col": 'name" FROM x --'}, "_col"),
        ({"_size": "100000"}, "_size"),
        ({"_shape": "xml"}, "_shape"),
        ({"employees__gt": "ten"}, "employees"),
        ({"_where": "1=1"}, "_where"),
        ({"_next": "forged"}, "_next"),
        ({"_bogus": "1"}, "_bogus"),
    ],
)
def test_errors_are_400_naming_the_problem(client, opendata, params, needle):
    body = get(client, status=400, **params)
    assert body["ok"] is False and needle in body["error"]


def test_unknown_table_404(client, opendata):
    body = get(client, "/data/missing.json", status=404)
    assert body["ok"] is False


# --- DCAT --------------------------------------------------------------------------------------


def test_dcat_catalog_parses_back(client, opendata):
    opendata.publish("draft-set", "草稿", "Draft", opendata.rows[:2], state="draft")
    for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld")):
        response = client.get(f"/catalog.{ext}")
        assert response.status_code == 200
        graph = Graph().parse(data=response.content.decode(), format=fmt)
        datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
        assert len(datasets) == 1
        (dataset,) = datasets
        assert str(dataset).endswith("/dataset/enterprise-registry")
        titles = set(graph.objects(dataset, DCTERMS.title))
        assert (
            Literal("企业登记信息", lang="zh") in titles
            and Literal("Enterprise registry", lang="en") in titles
        )
        assert (
            dataset,
            DCTERMS.accrualPeriodicity,
            URIRef("http://publications.europa.eu/resource/authority/frequency/MONTHLY"),
        ) in graph
        publisher = graph.value(dataset, DCTERMS.publisher)
        assert str(graph.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "西湖区市场监督管理局"
        assert {str(k) for k in graph.objects(dataset, DCAT.keyword)} == {"企业", "市场主体", "登记 信息"}
        assert graph.value(dataset, DCTERMS.temporal) is not None
        assert graph.value(dataset, DCTERMS.spatial) is not None
        assert graph.value(dataset, DCAT.contactPoint) is not None
        assert graph.value(dataset, DCTERMS.license) is not None
        distributions = list(graph.objects(dataset, DCAT.distribution))
        assert len(distributions) == 2
        for dist in distributions:
            assert graph.value(dist, DCAT.accessURL) is not None
            assert graph.value(dist, DCAT.downloadURL) is not None
            assert graph.value(dist, DCAT.mediaType) is not None
            assert graph.value(dist, DCTERMS["format"]) is not None
        hydra = URIRef("http://www.w3.org/ns/hydra/core#")
        paging = next(graph.subjects(RDF.type, URIRef(str(hydra) + "PagedCollection")))
        assert int(graph.value(paging, URIRef(str(hydra) + "totalItems"))) == 1


def test_dcat_dataset_and_paging(client, opendata):
    from zhengtong.catalog.models import DataResource

    base = opendata.resource
    DataResource.objects.bulk_create(
        [
            DataResource(
                name=f"bulk-{i:03d}",
                title=f"批量{i}",
                department=base.department,
                org_unit=base.org_unit,
                state="published",
                keywords=[],
            )
            for i in range(120)
        ]
    )
    graph = Graph().parse(data=client.get("/catalog.ttl?page=2").content.decode(), format="turtle")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 21
    hydra = "http://www.w3.org/ns/hydra/core#"
    paging = next(graph.subjects(RDF.type, URIRef(hydra + "PagedCollection")))
    assert graph.value(paging, URIRef(hydra + "previousPage")) is not None
    assert graph.value(paging, URIRef(hydra + "nextPage")) is None
    assert client.get("/catalog.ttl?page=9").status_code == 404
    assert client.get("/catalog.ttl?page=x").status_code == 422
    response = client.get("/dataset/enterprise-registry.jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.content.decode(), format="json-ld")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 1
    assert client.get("/dataset/missing.ttl").status_code == 404


# --- the never-raw guarantee -------------------------------------------------------------------


def _outward_texts(client):
    texts = []
    texts.append(client.get(URL, {"_size": "max", "_shape": "objects"}).content)
    texts.append(client.get(URL, {"_size": "max", "_next": get(client, _size="max")["next"]}).content)
    texts.append(client.get(URL, {"_facet": ["representative_id", "phone"], "_size": "1"}).content)
    texts.append(b"".join(client.get("/data/enterprise-registry.csv?_stream=on").streaming_content))
    texts.append(client.get("/data/enterprise-registry.csv", {"_size": "max"}).content)
    for fmt in ("objects", "lists", "csv"):
        for offset in (0, 1000):
            texts.append(
                client.get(
                    "/api/3/action/datastore_search",
                    {
                        "resource_id": "enterprise-registry",
                        "limit": 1000,
                        "offset": offset,
                        "records_format": fmt,
                    },
                ).content
            )
    texts.append(client.get("/api/3/action/package_show", {"id": "enterprise-registry"}).content)
    texts.append(client.get("/api/3/action/package_search", {"q": "企业"}).content)
    texts.append(client.get("/catalog.ttl").content)
    texts.append(client.get("/dataset/enterprise-registry.jsonld").content)
    return [t.decode("utf-8") for t in texts]


def test_desensitized_dataset_never_exposes_raw_ids_or_phones(client, opendata):
    rows = opendata.rows
    secrets = {r["representative_id"] for r in rows} | {r["phone"] for r in rows}
    texts = _outward_texts(client)
    assert sum(t.count("*" * 8) for t in texts) > 1000  # the masked values are there
    for text in texts:
        leaked = [s for s in secrets if s in text]
        assert not leaked, leaked[:3]
    # searching or filtering by a raw value finds nothing
    raw_id = rows[7]["representative_id"]
    assert get(client, representative_id=raw_id)["rows"] == []
    result = client.get(
        "/api/3/action/datastore_search",
        {
            "resource_id": "enterprise-registry",
            "filters": json.dumps({"representative_id": raw_id}),
            "q": raw_id,
        },
    ).json()["result"]
    assert result["records"] == []


def test_raw_variant_only_for_view_raw_holders(client, opendata, world):
    from zhengtong.accounts.services import api_token_create

    officer = world.staff("officer", "data_officer", world.xihu)
    created = api_token_create(actor=officer, name="ckan", days=1, scopes=["read"])
    token = created[1] if isinstance(created, tuple) else created
    rows = opendata.rows
    raw = client.get(
        URL,
        {"_shape": "objects", "_sort": "name", "_size": "1", "_col": "representative_id"},
        HTTP_AUTHORIZATION=token,
    ).json()
    assert raw["rows"][0]["representative_id"] == rows[0]["representative_id"]
    public = get(client, _shape="objects", _sort="name", _size="1", _col="representative_id")
    assert public["rows"][0]["representative_id"] != rows[0]["representative_id"]
