"""The DCAT-AP 3.0.0 SHACL shapes (SEMICeu's official release) and the controlled-vocabulary
shapes, run by pyshacl over ``/catalog.ttl`` and ``/catalog.jsonld`` with the EU vocabularies the
shapes check against (a faithful subset, see ``data/dcat_ap/SOURCE.md``): 0 violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace
from rdflib.namespace import RDF, SH

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "dcat_ap"
DCAT = Namespace("http://www.w3.org/ns/dcat#")


def _shapes() -> Graph:
    shapes = Graph()
    shapes.parse(DATA / "dcat-ap-SHACL.ttl", format="turtle")
    shapes.parse(DATA / "mdr-vocabularies.shape.ttl", format="turtle")
    return shapes


def _vocabularies() -> Graph:
    return Graph().parse(DATA / "eu-vocabularies-subset.ttl", format="turtle")


def _results(data: Graph) -> dict[str, list[str]]:
    # The vocabularies join the data graph, as the EU's validator imports them (mdr_imports.ttl).
    conforms, report, text = validate(
        data + _vocabularies(),
        shacl_graph=_shapes(),
        inference="none",
        allow_warnings=True,
    )
    found: dict[str, list[str]] = {"Violation": [], "Warning": [], "Info": []}
    # Top-level results only (sh:detail holds the nested ones a sh:node result explains itself by,
    # with the inner shape's severity, not the declaring property's).
    for result in report.objects(None, SH.result):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        found[severity].append(
            f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
            f"{report.value(result, SH.resultMessage)}"
        )
    return found


def _more_datasets(opendata):
    rows = opendata.rows[:20]
    opendata.publish("bus-stops", "公交站点", "Bus stops", rows, domain="transport", spatial="330100")
    opendata.publish(
        "school-list", "学校名录", "", rows, domain="education", spatial="330000", update_frequency="yearly"
    )
    opendata.publish("misc-data", "其他数据", "", rows, domain="other", spatial="", openness="conditional")


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_catalog_has_no_dcat_ap_violations(client, opendata, fmt):
    _more_datasets(opendata)
    response = client.get(f"/catalog.{fmt}")
    assert response.status_code == 200
    data = Graph().parse(data=response.content, format="turtle" if fmt == "ttl" else "json-ld")
    assert len(list(data.subjects(RDF.type, DCAT.Dataset))) == 4
    found = _results(data)
    assert found["Violation"] == [], "\n".join(found["Violation"])
    # The vocabulary warnings the feed can act on are gone too (publisher and spatial authorities
    # are warnings the profile itself expects outside the EU, see docs/opendata-api.md).
    themes = [w for w in found["Warning"] if "theme" in w.lower()]
    assert themes == [], themes


def test_shapes_catch_a_broken_catalogue(client, opendata):
    """The check can fail: the same feed without the catalogue's publisher and with a local
    theme is reported."""
    response = client.get("/catalog.ttl")
    data = Graph().parse(data=response.content, format="turtle")
    DCT = Namespace("http://purl.org/dc/terms/")
    catalog = next(data.subjects(RDF.type, DCAT.Catalog))
    data.remove((catalog, DCT.publisher, None))
    dataset = next(data.subjects(RDF.type, DCAT.Dataset))
    data.set((dataset, DCT.accrualPeriodicity, Namespace("http://example.org/")["weekly-ish"]))
    found = _results(data)
    assert any("publisher" in v for v in found["Violation"]), found["Violation"]
    assert any("accrualPeriodicity" in v for v in found["Violation"]), found["Violation"]
