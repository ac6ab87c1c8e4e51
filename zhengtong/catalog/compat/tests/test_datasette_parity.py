"""The Datasette parameters of issue 15 against Datasette 0.65.1's own answers on the same data,
recorded by ``data/datasette/record.py`` (40 rows of the enterprise registry, public variant, and
a 12-row ``tagged`` table with JSON arrays and timestamps as text).

Compared: status, rows (objects, with rowid), filtered_table_rows_count, facet values, counts,
selection and toggle_url (path and query) of column, date (``_facet_date``) and array
(``_facet_array``) facets, suggested facets of every kind, ``rowid`` comparisons, and .csv text.
Known differences, kept on purpose and documented in docs/opendata-api.md: a two-character
Chinese ``_search`` matches here; date and array suggestions look at the first 100 matching
rows."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "datasette"
RECORDED = json.loads((DATA / "responses.json").read_text())
ROWS = json.loads((DATA / "rows.json").read_text())
NAME = "enterprise"
TAGGED = "tagged"
TAGGED_SCHEMA = {
    "fields": [
        {"name": n, "title": n, "type": "string", "grade": "L1", "policy": {"op": "keep"}}
        for n in ("title", "kind", "tags", "published")
    ]
}


@pytest.fixture
def table(opendata):
    from zhengtong.catalog.compat.tests.conftest import make_rows

    opendata.publish(NAME, "企业（40 行）", "", make_rows(40))
    return NAME


@pytest.fixture
def tagged(opendata):
    import pyarrow as pa

    from zhengtong.catalog.compat.tests.data.datasette.record import tagged_rows

    rows = tagged_rows()
    opendata.publish(
        TAGGED, "标签（12 行）", "", rows, schema=TAGGED_SCHEMA, public=list, arrow=pa.Table.from_pylist
    )
    return TAGGED


def _path_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path.replace(f"/data/{NAME}", "/T").replace(f"/data/{TAGGED}", "/T") + "?" + parts.query


def _compare(body: dict, want: dict) -> None:
    assert body["rows"] == want["rows"]
    assert body["filtered_table_rows_count"] == want["filtered_table_rows_count"]
    assert body["columns"] == want["columns"]
    assert list(body["facet_results"]) == list(want["facet_results"])
    for key, facet in want["facet_results"].items():
        ours = body["facet_results"][key]
        assert (ours["name"], ours["type"]) == (facet["name"], facet["type"])
        assert [(r["value"], r["count"], r["selected"]) for r in ours["results"]] == [
            (r["value"], r["count"], r["selected"]) for r in facet["results"]
        ]
        assert [_path_query(r["toggle_url"]) for r in ours["results"]] == [
            _path_query(r["toggle_url"]) for r in facet["results"]
        ]
    assert [(s["name"], s.get("type"), _path_query(s["toggle_url"])) for s in body["suggested_facets"]] == [
        (s["name"], s.get("type"), _path_query(s["toggle_url"])) for s in want["suggested_facets"]
    ]


def test_recorded_with_datasette_0_65():
    assert RECORDED["datasette_version"].startswith("0.65")


@pytest.mark.parametrize("query", list(RECORDED["json"]))
def test_json_matches_datasette(client, table, query):
    expected = RECORDED["json"][query]
    response = client.get(f"/data/{NAME}.json{query}")
    assert response.status_code == expected["status"], response.content[:300]
    body, want = response.json(), expected["body"]
    if want.get("ok") is False:
        assert body == want
        return
    _compare(body, want)


@pytest.mark.parametrize("query", list(RECORDED["tagged"]))
def test_tagged_json_matches_datasette(client, tagged, query):
    expected = RECORDED["tagged"][query]
    response = client.get(f"/data/{TAGGED}.json{query}")
    assert response.status_code == expected["status"], response.content[:300]
    _compare(response.json(), expected["body"])


@pytest.mark.parametrize("query", list(RECORDED["csv"]))
def test_csv_matches_datasette(client, table, query):
    expected = RECORDED["csv"][query]
    response = client.get(f"/data/{NAME}.csv{query}")
    assert response.status_code == expected["status"]
    assert response.content.decode("utf-8") == expected["text"]


def test_two_character_chinese_search_is_ours(client, table):
    """Datasette's FTS5 trigram index needs three characters; our substring search finds two
    (kept on purpose: Chinese words are mostly two characters)."""
    body = client.get(f"/data/{NAME}.json", {"_search": "滨江", "_shape": "objects", "_size": "max"}).json()
    assert body["filtered_table_rows_count"] == sum(1 for r in ROWS if "滨江" in r["district"])
