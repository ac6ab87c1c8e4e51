"""The accounts API: /me (identity masked), the public org-unit tree and departments."""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.registry import services as registry_services


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_me_for_a_verified_citizen_shows_only_the_masked_id(world):
    person = world.person(world.village, name="张三")
    registry_services.citizen_verify_real_name(
        actor=world.citizen, resident_id=person.resident_id, name="张三"
    )
    response = api(world.citizen).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "citizen",
        "kind": "citizen",
        "display_name": "张三",
        "is_real_name": True,
        "resident_id_masked": person.resident_id[:6] + "********" + person.resident_id[-4:],
        "uscc": "",
        "org_unit": None,
        "department": None,
        "language": "",
        "elder_mode": False,
        "grants": [],
    }
    assert person.resident_id not in response.content.decode()


def test_me_for_staff_lists_grants(world):
    body = api(world.xihu_clerk).get("/api/v1/me").json()
    assert (body["org_unit"], body["department"]) == ("330106", "西湖区公安分局")
    assert body["grants"] == [
        {
            "role": "registry_clerk",
            "role_label": "Registry clerk",
            "org_unit": "330106",
            "org_unit_name": "西湖区",
            "department": "西湖区公安分局",
        }
    ]


def test_me_needs_authentication(world, client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"


def test_org_unit_tree_is_public_and_nested(world, client):
    response = client.get("/api/v1/org-units?depth=1")
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "330000",
            "name": "浙江省",
            "name_en": "",
            "level": "province",
            "children": [
                {"code": "330100", "name": "杭州市", "name_en": "", "level": "city", "children": []},
                {"code": "330700", "name": "金华市", "name_en": "", "level": "city", "children": []},
            ],
        }
    ]
    # depth is clamped to 0..5: a negative depth gives just the province.
    assert [n["code"] for n in client.get("/api/v1/org-units?depth=-3").json()] == ["330000"]
    assert client.get("/api/v1/org-units?depth=-3").json()[0]["children"] == []


def test_subtree(world, client):
    response = client.get("/api/v1/org-units/330106/subtree?depth=1")
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "330106",
            "name": "西湖区",
            "name_en": "",
            "level": "county",
            "children": [
                {"code": "330106002", "name": "北山街道", "name_en": "", "level": "township", "children": []}
            ],
        }
    ]

    def codes(nodes):
        return [n["code"] for n in nodes] + [c for n in nodes for c in codes(n["children"])]

    assert codes(client.get("/api/v1/org-units/330106/subtree").json()) == [
        "330106",
        "330106002",
        "330106002001",
        "330106002001001",
    ]
    # The sibling county is not in the subtree.
    assert codes(client.get("/api/v1/org-units/330782/subtree").json()) == ["330782"]


def test_detail(world, client):
    response = client.get("/api/v1/org-units/330106")
    assert response.status_code == 200
    assert response.json() == {
        "code": "330106",
        "name": "西湖区",
        "name_en": "",
        "level": "county",
        "parent": "330100",
        "depth": 2,
    }
    assert client.get("/api/v1/org-units/330000").json()["parent"] is None


def test_departments(world, client):
    body = client.get("/api/v1/departments?org_unit=330106").json()
    assert [(d["code"], d["name"], d["org_unit"]) for d in body] == [
        ("gaj", "西湖区公安分局", "330106"),
        ("scjg", "西湖区市场监督管理局", "330106"),
    ]
    assert client.get("/api/v1/departments").json() == []
    body = client.get("/api/v1/departments?org_unit=330000&subtree=true").json()
    assert [(d["org_unit"], d["code"]) for d in body] == [
        ("330106", "gaj"),
        ("330106", "scjg"),
        ("330782", "gaj"),
        ("330782", "scjg"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/org-units/999999",
        "/api/v1/org-units/999999/subtree",
        "/api/v1/departments?org_unit=999999",
    ],
)
def test_unknown_code_is_404_with_the_uniform_body(world, client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no org unit with region code 999999", "details": {}}
    }


def test_wrong_query_type_is_422(world, client):
    response = client.get("/api/v1/org-units?depth=deep")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]["fields"]) == ["depth"]
