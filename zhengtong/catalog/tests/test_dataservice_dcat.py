"""The API catalogue in the DCAT feed: each catalogued API as a dcat:DataService."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from zhengtong.catalog import services

EU_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"


@pytest.fixture
def catalogued(cat, world):
    resource = cat.published()
    draft = cat.resource(name="not-yet")
    service = services.dataservice_create(
        actor=cat.publisher,
        department=world.xihu_scjg,
        name="enterprise-lookup",
        title="企业信息核验接口",
        description="按统一社会信用代码核验企业登记信息",
        base_url="https://api.example.gov.cn/enterprise",
        openapi_url="https://api.example.gov.cn/enterprise/openapi.json",
        access="application",
        conditions="限政务和金融机构",
        rate_limit="600 次/分钟",
        licence="CC-BY-4.0",
        datasets=[resource.name],
    )
    # linked while published, then a draft: the feed serves only published datasets
    service.datasets.add(draft)
    open_one = services.dataservice_create(
        actor=cat.publisher,
        department=world.xihu_scjg,
        name="open-api",
        title="开放接口",
        base_url="https://open.example.gov.cn/",
        access="open",
        licence="CC0-1.0",
    )
    return resource, service, open_one


def _graph(client, fmt):
    response = client.get(f"/catalog.{fmt}")
    assert response.status_code == 200
    return Graph().parse(data=response.content.decode(), format="turtle" if fmt == "ttl" else "json-ld")


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_catalogued_apis_are_dcat_data_services(client, catalogued, fmt):
    resource, service, open_one = catalogued
    g = _graph(client, fmt)
    nodes = sorted(g.subjects(RDF.type, DCAT.DataService))
    assert [str(n) for n in nodes] == [
        "http://testserver/opendata/apis/enterprise-lookup/",
        "http://testserver/opendata/apis/open-api/",
    ]
    node = nodes[0]
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert (catalog, DCAT.service, node) in g
    assert g.value(node, DCAT.endpointURL) == URIRef("https://api.example.gov.cn/enterprise")
    assert g.value(node, DCAT.endpointDescription) == URIRef(
        "https://api.example.gov.cn/enterprise/openapi.json"
    )
    assert set(g.objects(node, DCAT.servesDataset)) == {URIRef(f"http://testserver/dataset/{resource.name}")}
    assert (URIRef(f"http://testserver/dataset/{resource.name}"), RDF.type, DCAT.Dataset) in g
    assert g.value(node, DCTERMS.license) == URIRef(EU_LICENCE + "CC_BY_4_0")
    assert g.value(node, DCTERMS.accessRights) == URIRef(EU_ACCESS + "RESTRICTED")
    assert g.value(node, DCTERMS.title) == Literal("企业信息核验接口", lang="zh")
    assert g.value(node, DCTERMS.identifier) == Literal("enterprise-lookup")
    assert g.value(node, DCTERMS.publisher) is not None
    rights = g.value(node, DCTERMS.rights)
    assert "600 次/分钟" in str(g.value(rights, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    other = nodes[1]
    assert g.value(other, DCTERMS.accessRights) == URIRef(EU_ACCESS + "PUBLIC")
    assert g.value(other, DCAT.endpointDescription) is None
    assert list(g.objects(other, DCAT.servesDataset)) == []


def test_data_services_are_on_the_first_page_only(client, catalogued):
    g = Graph().parse(data=client.get("/catalog.ttl?page=1").content.decode(), format="turtle")
    assert len(list(g.subjects(RDF.type, DCAT.DataService))) == 2
    response = client.get("/catalog.ttl?page=2")
    if response.status_code == 200:
        g2 = Graph().parse(data=response.content.decode(), format="turtle")
        assert list(g2.subjects(RDF.type, DCAT.DataService)) == []


def test_an_api_whose_address_no_iri_can_hold_is_left_out_not_the_feed(client, catalogued):
    from zhengtong.catalog.models import DataService

    _resource, service, _open = catalogued
    DataService.objects.filter(pk=service.pk).update(base_url="https://api.example.gov.cn/a b")
    g = _graph(client, "ttl")
    assert [str(n) for n in g.subjects(RDF.type, DCAT.DataService)] == [
        "http://testserver/opendata/apis/open-api/"
    ]
    assert (
        json.loads(client.get("/api/v1/catalog/dataservices/enterprise-lookup").content)["name"]
        == "enterprise-lookup"
    )
