from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengtong.catalog.models import DataResource, LoadJob
from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV

BASE = "/api/v1/catalog"


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def test_search_api_public_with_facets_and_cursor(client, cat):
    for i in range(3):
        cat.published(name=f"set-{i}")
    cat.resource(name="a-draft")
    body = client.get(f"{BASE}/resources", {"q": "企业", "limit": 2}).json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert {f["value"] for f in body["facets"]["openness"]} == {"unconditional"}
    assert body["items"][0]["row_count"] == 3 and body["items"][0]["format"] == "csv"
    more = client.get(f"{BASE}/resources", {"q": "企业", "limit": 2, "cursor": body["next"]}).json()
    assert len(more["items"]) == 1 and more["next"] is None
    assert client.get(f"{BASE}/resources", {"sort": "nope"}).status_code == 422
    bad = client.get(f"{BASE}/resources", {"cursor": "xx"}).json()
    assert bad["error"]["details"]["fields"] == {"cursor": ["is not a cursor this list issued"]}
    assert client.get(f"{BASE}/resources", {"domain": "economy", "grade": "L1"}).json()["total"] == 3


def test_detail_versions_schema(client, cat):
    resource = cat.published()
    detail = client.get(f"{BASE}/resources/{resource.name}").json()
    assert (
        detail["name"] == "enterprises" and detail["state"] == "published" and detail["current_version"] == 2
    )
    versions = client.get(f"{BASE}/resources/{resource.name}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    schema = client.get(f"{BASE}/resources/{resource.name}/schema").json()
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["法定代表人身份证号"]["grade"] == "L4"
    assert fields["法定代表人身份证号"]["policy"]["op"] == "mask"
    assert fields["法定代表人身份证号"]["confirmed"] is True
    assert client.get(f"{BASE}/resources/nope").status_code == 404
    draft = cat.resource(name="secret-draft")
    assert client.get(f"{BASE}/resources/{draft.name}").status_code == 404


def test_create_load_fields_and_transitions_via_api(client, cat, world):
    login(client, cat.publisher)
    response = client.post(
        f"{BASE}/resources",
        {"name": "bus-stops", "department": world.xihu_scjg.pk, "title": "公交站点", "domain": "transport"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    response = client.post(
        f"{BASE}/resources/bus-stops/loads",
        {
            "file": SimpleUploadedFile(
                "stops.csv", "站点,经度,纬度\n文三路口,120.1,30.2\n黄龙,120.2,30.3\n".encode()
            ),
            "mode": "replace",
        },
    )
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["state"] == "succeeded" and job["row_count"] == 2 and job["version"] == 1
    assert client.get(f"{BASE}/loads/{job['id']}").json()["progress"] == 100
    assert len(client.get(f"{BASE}/resources/bus-stops/loads").json()) == 1
    response = client.post(
        f"{BASE}/resources/bus-stops/transitions", {"action": "submit"}, content_type="application/json"
    )
    assert response.status_code == 422  # fields not confirmed
    response = client.post(
        f"{BASE}/resources/bus-stops/fields",
        {"fields": {"站点": {"grade": "L1"}}, "confirm_all": True},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.post(
        f"{BASE}/resources/bus-stops/transitions", {"action": "submit"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "under_review"
    response = client.post(
        f"{BASE}/resources/bus-stops/transitions", {"action": "approve"}, content_type="application/json"
    )
    assert response.status_code == 403
    login(client, cat.officer)
    response = client.post(
        f"{BASE}/resources/bus-stops/transitions", {"action": "approve"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "published"


def test_load_errors_via_api(client, cat):
    resource = cat.resource()
    cat.load(resource)
    login(client, cat.publisher)
    bad = ENTERPRISE_CSV.replace("100.5", "abc")
    job = client.post(
        f"{BASE}/resources/{resource.name}/loads", {"file": SimpleUploadedFile("e.csv", bad.encode())}
    ).json()
    assert job["state"] == "failed"
    assert job["errors"][0]["row"] == 1 and job["errors"][0]["field"] == "注册资本"
    response = client.post(
        f"{BASE}/resources/{resource.name}/loads",
        {"file": SimpleUploadedFile("e.csv", b"x"), "mode": "merge"},
    )
    assert response.status_code == 422


def test_writes_need_login_and_scope(client, cat, world):
    response = client.post(
        f"{BASE}/resources",
        {"name": "x-y", "department": world.xihu_scjg.pk, "title": "X"},
        content_type="application/json",
    )
    assert response.status_code == 401
    login(client, cat.yiwu_publisher)
    response = client.post(
        f"{BASE}/resources",
        {"name": "x-y", "department": world.xihu_scjg.pk, "title": "X"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert DataResource.objects.count() == 0
    resource = cat.resource()
    response = client.post(
        f"{BASE}/resources/{resource.name}/loads",
        {"file": SimpleUploadedFile("e.csv", ENTERPRISE_CSV.encode())},
    )
    assert response.status_code in (403, 404)
    assert LoadJob.objects.count() == 0


def test_keys_and_rate_limits(client, cat, world, settings):
    settings.CATALOG_ANON_RATE_LIMIT = 3
    cat.published()
    for _ in range(3):
        assert client.get(f"{BASE}/resources/enterprises").status_code == 200
    response = client.get(f"{BASE}/resources/enterprises")
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
    details = response.json()["error"]["details"]
    assert details["limit"] == 3 and response["Retry-After"] == str(details["retry_after"])
    assert 1 <= details["retry_after"] <= 60
    login(client, world.citizen)
    created = client.post(
        f"{BASE}/keys", {"name": "app", "rate_limit_per_minute": 2}, content_type="application/json"
    ).json()
    secret = created["secret"]
    client.logout()
    for _ in range(2):
        assert client.get(f"{BASE}/resources/enterprises", HTTP_X_API_KEY=secret).status_code == 200
    assert client.get(f"{BASE}/resources/enterprises", HTTP_X_API_KEY=secret).status_code == 429
    assert client.get(f"{BASE}/resources/enterprises", HTTP_X_API_KEY="ztd_bad_key").status_code == 403
    login(client, world.citizen)
    assert (
        client.post(
            f"{BASE}/keys", {"name": "big", "rate_limit_per_minute": 100000}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.delete(f"{BASE}/keys/{created['id']}").json()["revoked_at"] is not None
    client.logout()
    assert client.get(f"{BASE}/resources/enterprises", HTTP_X_API_KEY=secret).status_code == 403


def test_usage_record_counts_per_day(cat):
    from zhengtong.catalog.models import UsageDaily
    from zhengtong.catalog.services import usage_record

    resource = cat.resource()
    usage_record(resource, "api_calls")
    usage_record(resource.pk, "api_calls")
    usage_record(resource, "downloads")
    row = UsageDaily.objects.get(resource=resource)
    assert (row.views, row.downloads, row.api_calls) == (0, 1, 2)
    with pytest.raises(ValueError):
        usage_record(resource, "likes")


def test_catalog_load_command(cat, tmp_path):
    resource = cat.resource()
    path = tmp_path / "e.csv"
    path.write_text(ENTERPRISE_CSV, encoding="utf-8")
    call_command("catalog_load", resource.name, str(path))
    resource.refresh_from_db()
    assert resource.current_version.row_count == 3
    call_command("catalog_load", resource.name, str(path), "--mode", "append")
    resource.refresh_from_db()
    assert resource.current_version.row_count == 6
    with pytest.raises(CommandError):
        call_command("catalog_load", "nope", str(path))
    bad = tmp_path / "bad.csv"
    bad.write_text(ENTERPRISE_CSV.replace("100.5", "abc"), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("catalog_load", resource.name, str(bad))
    resource.refresh_from_db()
    assert resource.current_version.row_count == 6
