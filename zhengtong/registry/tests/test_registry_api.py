"""The registry REST API: input validation, error bodies, masking, keyset pagination."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.identifiers import generate_resident_id, resident_id_check_char
from zhengtong.registry.models import Person

NEW_ID = generate_resident_id("330106", dt.date(1992, 8, 1), 35)


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def post_json(client, url, payload):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json")


def test_create_person_returns_masked_identifiers(world):
    response = post_json(
        api(world.xihu_clerk),
        "/api/v1/registry/persons",
        {"resident_id": NEW_ID, "name": "钱七", "org_unit": "330106002001", "phone": "13912345678"},
    )
    assert response.status_code == 201
    body = response.json()
    person = Person.objects.get(resident_id=NEW_ID)
    assert body == {
        "id": person.pk,
        "resident_id_masked": NEW_ID[:6] + "********" + NEW_ID[-4:],
        "name": "钱七",
        "sex": "M",
        "birth_date": "1992-08-01",
        "phone_masked": "139****5678",
        "address": "",
        "org_unit": "330106002001",
        "org_unit_name": "栖霞岭社区",
        "is_alive": True,
    }
    assert NEW_ID not in response.content.decode()
    assert "13912345678" not in response.content.decode()


def test_wrong_check_character_is_422_naming_the_expected_character(world):
    expected = resident_id_check_char(NEW_ID[:17])
    wrong = "1" if expected != "1" else "2"
    events = AuditEvent.objects.count()
    response = post_json(
        api(world.xihu_clerk),
        "/api/v1/registry/persons",
        {"resident_id": NEW_ID[:17] + wrong, "name": "钱七", "org_unit": "330106"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_identifier"
    assert error["details"] == {
        "fields": {"resident_id": [f"check character should be {expected}, not {wrong}"]}
    }
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_malformed_json_is_422_not_500(world):
    response = post_json(api(world.xihu_clerk), "/api/v1/registry/persons", '{"resident_id": ')
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]["fields"]) == ["(body)"]
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"resident_id": 330106, "name": "x", "org_unit": "330106"}, ["resident_id"]),
        ({"name": "x", "org_unit": "330106"}, ["resident_id"]),
        ({"resident_id": NEW_ID, "name": ["x"], "org_unit": "330106"}, ["name"]),
        ([1, 2], ["(body)"]),  # a body must be a JSON object (issue 17)
    ],
)
def test_wrong_types_are_422_with_the_field(world, payload, fields):
    response = post_json(api(world.xihu_clerk), "/api/v1/registry/persons", payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert sorted(error["details"]["fields"]) == fields
    assert Person.objects.count() == 0


def test_patch_with_wrong_type_is_422_and_changes_nothing(world):
    person = world.person()
    response = api(world.xihu_clerk).patch(
        f"/api/v1/registry/persons/{person.pk}",
        data=json.dumps({"is_alive": "sometimes"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == ["is_alive"]
    assert Person.objects.get(pk=person.pk).is_alive is True


def test_patch_in_scope_changes_only_the_sent_fields(world):
    person = world.person(phone="13912345678")
    response = api(world.xihu_clerk).patch(
        f"/api/v1/registry/persons/{person.pk}",
        data=json.dumps({"address": "北山街道5号"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["address"] == "北山街道5号"
    stored = Person.objects.get(pk=person.pk)
    assert (stored.address, stored.phone, stored.name) == ("北山街道5号", "13912345678", "张三")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/registry/persons/999999"),
        ("patch", "/api/v1/registry/persons/999999"),
        ("get", "/api/v1/registry/legal-entities/999999"),
        ("get", "/api/v1/registry/licences/999999"),
        ("post", "/api/v1/registry/licences/999999/transitions"),
        ("post", "/api/v1/registry/corrections/999999/transitions"),
    ],
)
def test_unknown_ids_are_404_with_the_error_body(world, method, url):
    client = api(world.xihu_clerk)
    response = getattr(client, method)(
        url, data=json.dumps({"action": "take"}) if method != "get" else None, content_type="application/json"
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["details"] == {}
    assert error["message"]


def test_non_integer_id_is_422(world):
    response = api(world.xihu_clerk).get("/api/v1/registry/persons/abc")
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == ["person_id"]


def test_unknown_org_unit_on_create_is_404(world):
    response = post_json(
        api(world.xihu_clerk),
        "/api/v1/registry/persons",
        {"resident_id": NEW_ID, "name": "x", "org_unit": "999999"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no org unit with region code 999999"
    assert Person.objects.count() == 0


def test_anonymous_is_401(world, client):
    response = client.get("/api/v1/registry/persons")
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "authentication_required",
            "message": "log in, or send a valid Authorization: Bearer token",
            "details": {},
        }
    }


def test_keyset_pagination_walks_every_row_once(world):
    people = [world.person(seq=seq, name=f"张{n}") for n, seq in enumerate((11, 13, 15, 17, 19))]
    client = api(world.xihu_viewer)
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/registry/persons?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [p.pk for p in people]
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "field"), [("limit=0", "limit"), ("limit=201", "limit"), ("cursor=forged", "cursor")]
)
def test_bad_page_parameters_are_422(world, query, field):
    response = api(world.xihu_viewer).get(f"/api/v1/registry/persons?{query}")
    assert response.status_code == 422
    assert list(response.json()["error"]["details"]["fields"]) == [field]


def test_search_by_full_id_or_name_prefix(world):
    a = world.person(seq=11, name="张三")
    b = world.person(seq=13, name="李四")
    client = api(world.xihu_viewer)
    assert [i["id"] for i in client.get(f"/api/v1/registry/persons?q={a.resident_id}").json()["items"]] == [
        a.pk
    ]
    assert [i["id"] for i in client.get("/api/v1/registry/persons?q=李").json()["items"]] == [b.pk]
    # Part of an ID number finds nothing: no fuzzy search over identifiers.
    assert client.get(f"/api/v1/registry/persons?q={a.resident_id[:10]}").json()["items"] == []
