"""Catalogue metadata is checked field by field at the boundary: a bad value is a 422 naming the
field, and nothing is stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhengtong.catalog import services
from zhengtong.catalog.models import DataResource
from zhengtong.core.errors import ValidationError


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"contact_email": "data team@hz.gov.cn"}, "contact_email", "is not an email address"),
        ({"contact_email": "a@b@c"}, "contact_email", "is not an email address"),
        ({"title": "标题\x00"}, "title", "must not contain control characters"),
        ({"contact_name": "科\x1b[31m"}, "contact_name", "must not contain control characters"),
        ({"keywords": ["好", "坏\x07"]}, "keywords", "must not contain control characters"),
        ({"spatial": "３３０１０６"}, "spatial", "must be a region code"),
        (
            {"temporal_start": "0001-01-01"},
            "temporal_start",
            "must be a date between 1000-01-01 and 9999-12-31",
        ),
    ],
)
def test_bad_metadata_is_refused_and_nothing_changes(cat, changes, field, message):
    resource = cat.resource(name="metadata-check")
    before = DataResource.objects.filter(pk=resource.pk).values().get()
    with pytest.raises(ValidationError) as err:
        services.resource_update(actor=cat.publisher, resource=resource, **changes)
    assert err.value.fields == {field: [message]}
    assert DataResource.objects.filter(pk=resource.pk).values().get() == before


def test_line_breaks_in_a_description_are_fine(cat):
    resource = cat.resource(name="metadata-lines")
    services.resource_update(
        actor=cat.publisher,
        resource=resource,
        description="第一行\r\n第二行\t完",
        contact_email="data@hz.gov.cn",
    )
    resource.refresh_from_db()
    assert (resource.description, resource.contact_email) == ("第一行\r\n第二行\t完", "data@hz.gov.cn")


def test_api_patch_with_a_bad_email_is_422(cat):
    resource = cat.resource(name="metadata-api")
    client = Client()
    client.force_login(cat.publisher, backend="django.contrib.auth.backends.ModelBackend")
    response = client.patch(
        f"/api/v1/catalog/resources/{resource.name}",
        data=json.dumps({"contact_email": "data team@hz.gov.cn"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": {"contact_email": ["is not an email address"]}}
    assert DataResource.objects.get(pk=resource.pk).contact_email == ""
