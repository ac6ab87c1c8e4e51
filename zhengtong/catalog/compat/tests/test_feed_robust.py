"""One bad stored metadata value (from before validation, or written around it) never breaks a
public feed: the statement is left out and logged, everything else is served."""

from __future__ import annotations

import json
import logging

from rdflib import Graph, URIRef

from zhengtong.catalog.models import DataResource

VCARD_EMAIL = URIRef("http://www.w3.org/2006/vcard/ns#hasEmail")


def _spoil(resource) -> None:
    DataResource.objects.filter(pk=resource.pk).update(contact_email="data team@hz.gov.cn")


def test_catalog_feed_survives_a_bad_email(client, opendata, caplog):
    other = opendata.publish("other-registry", "其他登记", "Other registry", opendata.rows[:5])
    _spoil(opendata.resource)
    with caplog.at_level(logging.WARNING, logger="zhengtong.catalog.compat.dcat"):
        response = client.get("/catalog.ttl")
    assert response.status_code == 200
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    datasets = {str(o) for o in graph.objects(None, URIRef("http://www.w3.org/ns/dcat#dataset"))}
    assert datasets == {
        "http://testserver/dataset/enterprise-registry",
        f"http://testserver/dataset/{other.name}",
    }
    assert {str(o) for o in graph.objects(None, VCARD_EMAIL)} == {"mailto:data@scjg.example.gov.cn"}
    assert "enterprise-registry: left out a statement with an invalid IRI" in caplog.text
    jsonld = client.get("/catalog.jsonld")
    assert jsonld.status_code == 200 and "data team@" not in jsonld.content.decode()
    json.loads(jsonld.content)


def test_dataset_page_survives_a_bad_email(client, opendata):
    _spoil(opendata.resource)
    response = client.get("/dataset/enterprise-registry.ttl")
    assert response.status_code == 200
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    assert list(graph.objects(None, VCARD_EMAIL)) == []
    assert (URIRef("http://testserver/dataset/enterprise-registry"), None, None) in graph
