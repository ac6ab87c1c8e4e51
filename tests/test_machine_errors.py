"""An unhandled error (or a body Django refuses) on a machine endpoint answers JSON, not the page."""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.catalog.compat import ckan
from zhengtong.grid import open311
from zhengtong.registry import selectors as registry_selectors


def boom(*args, **kwargs):
    raise RuntimeError("secret detail")


@pytest.fixture
def client_500():
    return Client(raise_request_exception=False)


def test_rest_api_500_is_the_error_body(world, client_500, monkeypatch):
    monkeypatch.setattr(registry_selectors, "person_get_for", boom)
    client_500.force_login(world.xihu_clerk, backend="django.contrib.auth.backends.ModelBackend")
    response = client_500.get("/api/v1/registry/persons/1")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "server_error", "message": "Something went wrong on our side", "details": {}}
    }


def test_ckan_500_is_a_ckan_error(db, client_500, monkeypatch):
    monkeypatch.setitem(ckan.ACTIONS, "status_show", boom)
    response = client_500.get("/api/3/action/status_show")
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": {"__type": "Internal Server Error", "message": "Something went wrong on our side"},
    }


def test_open311_500_is_an_open311_error(db, client_500, monkeypatch):
    monkeypatch.setattr(open311, "_public_categories", boom)
    response = client_500.get("/open311/v2/services.json")
    assert response.status_code == 500
    assert response.json() == [{"code": 500, "description": "Something went wrong on our side"}]


def test_too_big_open311_body_is_a_json_400(db, client_500, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_500.post(
        "/open311/v2/requests.json",
        data="description=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "This request could not be completed"}]


@pytest.mark.parametrize("path", ["/api/v1/services/bundle-applications/null,null", "/api/v1/nowhere"])
def test_rest_api_path_no_operation_matches_is_the_404_error_body(db, path):
    # Found by the Schemathesis fuzzer (issue 17): the portal's HTML page came back instead.
    response = Client().get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "not found", "details": {}}}


def test_page_not_found_is_still_the_page(db):
    response = Client().get("/no-such-page")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_catalog_resource_key_with_a_superscript_digit_is_404(db):
    # Found by `make fuzz` (issue 17): "¹".isdigit() is true but int("¹") fails, a 500.
    response = Client().get("/api/v1/catalog/resources/%C2%B9")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
