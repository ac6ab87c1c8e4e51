"""Bodies the registry API cannot use get a 422 with the error body, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhengtong.registry.models import Person


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("field", ["is_alive", "name", "phone"])
def test_patch_with_null_is_422_and_changes_nothing(world, field):
    person = world.person(phone="13912345678")
    response = api(world.xihu_clerk).patch(
        f"/api/v1/registry/persons/{person.pk}",
        data=json.dumps({field: None, "address": "北山街道5号"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "fields": {field: ["may not be null; leave the field out to keep its value"]}
    }
    stored = Person.objects.get(pk=person.pk)
    assert (stored.is_alive, stored.name, stored.phone, stored.address) == (
        True,
        "张三",
        "13912345678",
        "栖霞岭社区1号",
    )


@pytest.mark.parametrize("url", ["/api/v1/registry/imports", "/api/v1/catalog/resources/anything/loads"])
def test_multipart_without_boundary_is_422(world, url):
    response = api(world.citizen).post(url, data=b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "the request body is not valid multipart/form-data",
        "details": {"fields": {"(body)": ["the request body is not valid multipart/form-data"]}},
    }
