"""An integer beyond 64 bits in a path or query parameter is a 422 naming the rule, never a 5xx
(SQLite cannot bind it; PostgreSQL compares it, or says "out of range" for an integer column)."""

from __future__ import annotations

HUGE = "2169324362412979650560"


def test_huge_query_parameter_is_a_validation_error(world, client):
    response = client.get(f"/api/v1/opengov/powers?department={HUGE}")
    if response.status_code == 200:  # PostgreSQL compares it as a number: nothing matches
        assert response.json() == []
        return
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error" and "out of range" in body["message"]


def test_huge_path_parameter_is_a_validation_error(world, client):
    client.force_login(world.xihu_clerk, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/api/v1/grid/incidents/{HUGE}")
    assert response.status_code in (404, 422), response.content
    assert response.status_code != 500
