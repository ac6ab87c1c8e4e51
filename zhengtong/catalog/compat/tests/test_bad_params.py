"""Out-of-range numbers, huge filters and deeply nested bodies get a 4xx, never a 500."""

from __future__ import annotations

import pytest

BIG = "9223372036854775808"  # 2**63


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/3/action/package_search?start={BIG}", "start"),
        (f"/api/3/action/package_list?offset={BIG}", "offset"),
        (f"/api/3/action/package_search?rows=10&start={2**31}", "start"),
    ],
)
def test_ckan_offsets_past_the_integer_range_are_409(client, url, field):
    # 409 "Validation Error" is CKAN's status for a bad parameter.
    response = client.get(url)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert error[field] == ["must be at most 2147483647"]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_dcat_page_past_the_integer_range_is_422(client, fmt):
    response = client.get(f"/catalog.{fmt}?page={BIG}")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "page: must be at most 2147483647",
    }


@pytest.mark.django_db
def test_fq_with_a_thousand_terms_is_409(client):
    fq = " AND ".join(f"tags:x{i}" for i in range(1000))
    response = client.get("/api/3/action/package_search", {"fq": fq})
    assert response.status_code == 409
    assert response.json()["error"]["fq"] == ["at most 100 field:value terms in q and fq together"]


@pytest.mark.django_db
def test_fq_with_a_hundred_terms_still_searches(client):
    fq = " AND ".join(f"tags:x{i}" for i in range(100))
    response = client.get("/api/3/action/package_search", {"fq": fq})
    assert response.status_code == 200 and response.json()["result"]["count"] == 0


@pytest.mark.django_db
def test_deeply_nested_json_body_is_400(client):
    response = client.post("/api/3/action/datastore_search", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "__type": "Bad Request",
        "message": "Bad request - JSON Error: the request body is nested too deeply",
    }


@pytest.mark.django_db
def test_deeply_nested_json_parameter_is_400(client):
    response = client.get("/api/3/action/package_search", {"facet.field": "[" * 100_000})
    assert response.status_code == 409 and response.json()["success"] is False
