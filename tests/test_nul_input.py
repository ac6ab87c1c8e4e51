"""NUL characters in API input are a field error on every database (PostgreSQL cannot store them
in text), never a 5xx: found by the fuzzer on PostgreSQL (POST /api/v1/registry/persons)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhengtong.registry.models import Person

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_nul_in_a_json_body_is_a_field_error_and_nothing_is_written(world):
    before = Person.objects.count()
    body = {"org_unit": "\u0000x", "name": "张三", "resident_id": "x", "address": "", "phone": ""}
    response = _client(world.xihu_clerk).post(
        "/api/v1/registry/persons", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {"org_unit": ["must not contain a NUL character"]}
    assert Person.objects.count() == before


def test_a_nul_in_a_nested_field_names_the_path(world):
    response = _client(world.xihu_clerk).post(
        "/api/v1/registry/persons",
        json.dumps({"name": "张三", "extra": {"list": ["ok", "b\u0000d"]}}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {
        "extra.list.1": ["must not contain a NUL character"]
    }


def test_a_nul_in_a_query_string_is_a_field_error(world):
    response = _client(world.xihu_clerk).get("/api/v1/registry/persons", {"q": "张\u0000三"})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {"q": ["must not contain a NUL character"]}
