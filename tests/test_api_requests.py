"""The REST API's handling of who is asking and of what they send (issue 17, item 11)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhengtong.accounts.models import Credential
from zhengtong.registry.models import Person


def session(user, *, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_anonymous_post_is_401_not_a_csrf_403(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/me/tokens", data=json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"
    assert Credential.objects.count() == 0


def test_signed_in_post_without_csrf_is_still_403(world):
    client = session(world.xihu_clerk, enforce_csrf=True)
    response = client.post(
        "/api/v1/me/tokens", data=json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "CSRF check Failed"
    assert Credential.objects.count() == 0


@pytest.mark.parametrize("days", [0, -1, 367])
def test_token_days_out_of_range_is_422(world, days):
    response = session(world.xihu_clerk).post(
        "/api/v1/me/tokens", data=json.dumps({"name": "x", "days": days}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": {"days": ["between 1 and 366"]}}
    assert Credential.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[null,null]", "the request body must be a JSON object"),
        ("null", "the request body must be a JSON object"),
        ("[" * 100_000, "the request body is nested too deeply"),
    ],
)
def test_body_that_is_not_an_object_is_422_and_changes_nothing(world, body, message):
    person = world.person()
    response = session(world.xihu_clerk).patch(
        f"/api/v1/registry/persons/{person.pk}", data=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": message,
        "details": {"fields": {"(body)": [message]}},
    }
    assert Person.objects.get(pk=person.pk).updated_at == person.updated_at
