"""Privacy API and the PII scanner page: permissions, masking, no raw identifiers anywhere."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

RID = "11010519491231002X"
BAD_RID = "110105194912310021"
PHONE = "13912345678"
TEXT = f"市民张三身份证{RID}，错号{BAD_RID}，手机{PHONE}，邮箱zhangsan@example.com。"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


@pytest.fixture
def officer(world):
    return world.staff("officer", "data_officer", world.province)


def assert_no_raw(body: str):
    for raw in (RID, BAD_RID, PHONE, "zhangsan@"):
        assert raw not in body


def test_scan_masks_and_never_echoes_raw_values(officer, caplog):
    caplog.set_level(logging.DEBUG)
    response = post(client_for(officer), "/api/v1/privacy/scan", {"text": TEXT})
    assert response.status_code == 200, response.content
    body = response.json()
    assert_no_raw(response.content.decode())
    assert (
        body["masked"]
        == "市民张三身份证110105********002X，错号110105********0021，手机139****5678，邮箱z*******@example.com。"
    )
    assert [(f["kind"], f["valid"], f["suspected"]) for f in body["findings"]] == [
        ("resident_id", True, False),
        ("resident_id", False, True),
        ("mobile", True, False),
        ("email", True, False),
    ]
    assert body["counts"] == {"resident_id": 2, "mobile": 1, "email": 1}
    assert all(
        set(f) == {"kind", "label", "start", "end", "masked", "valid", "suspected"} for f in body["findings"]
    )
    assert_no_raw("\n".join(r.getMessage() for r in caplog.records))


def test_scan_rejects_oversized_and_missing_text(officer, settings):
    settings.PRIVACY_SCAN_MAX_CHARS = 10
    client = client_for(officer)
    response = post(client, "/api/v1/privacy/scan", {"text": "一" * 11})
    assert response.status_code == 422
    assert "text" in response.json()["error"]["details"]["fields"]
    response = post(client, "/api/v1/privacy/scan", {})
    assert response.status_code == 422
    assert "text" in response.json()["error"]["details"]["fields"]


def test_citizen_and_other_staff_are_denied(world):
    for user in (world.citizen, world.xihu_clerk):
        response = post(client_for(user), "/api/v1/privacy/scan", {"text": TEXT})
        assert response.status_code == 403
        assert_no_raw(response.content.decode())
        response = post(client_for(user), "/api/v1/privacy/classify", {"fields": ["a"], "rows": []})
        assert response.status_code == 403


def test_anonymous_is_asked_to_log_in(db):
    response = post(Client(), "/api/v1/privacy/scan", {"text": TEXT})
    assert response.status_code == 401


def test_classify_suggests_grades_and_policies_without_raw_examples(officer):
    rows = [
        {
            "姓名": "张三",
            "身份证号": RID,
            "联系电话": PHONE,
            "住址": "浙江省杭州市西湖区文三路90号",
            "行业": "制造业",
        },
        {
            "姓名": "李四",
            "身份证号": RID,
            "联系电话": PHONE,
            "住址": "浙江省杭州市西湖区文三路91号",
            "行业": "零售业",
        },
    ]
    response = post(
        client_for(officer),
        "/api/v1/privacy/classify",
        {"fields": ["姓名", "身份证号", "联系电话", "住址", "行业"], "rows": rows},
    )
    assert response.status_code == 200, response.content
    assert_no_raw(response.content.decode())
    fields = {f["name"]: f for f in response.json()["fields"]}
    assert (
        fields["身份证号"]["category"],
        fields["身份证号"]["grade"],
        fields["身份证号"]["max_openness"],
    ) == (
        "resident_id",
        "L4",
        "closed",
    )
    assert fields["身份证号"]["gb_level"] == "一般数据4级"
    assert fields["身份证号"]["example"] == "110105********002X"
    assert fields["姓名"]["category"] == "person_name" and fields["姓名"]["example"] == "张*"
    assert fields["联系电话"]["policy"] == {"op": "mask", "keep_first": 3, "keep_last": 4}
    assert fields["住址"]["example"] == "浙江省杭州市西湖区"
    assert fields["行业"]["grade"] == "L1" and fields["行业"]["policy"] == {"op": "keep"}
    assert "100%" in fields["身份证号"]["reason"]


def test_classify_rejects_bad_input(officer):
    client = client_for(officer)
    response = post(client, "/api/v1/privacy/classify", {"fields": [], "rows": []})
    assert response.status_code == 422 and "fields" in response.json()["error"]["details"]["fields"]
    response = post(client, "/api/v1/privacy/classify", {"fields": ["a", "a"], "rows": []})
    assert response.status_code == 422 and "fields" in response.json()["error"]["details"]["fields"]
    response = post(client, "/api/v1/privacy/classify", {"fields": ["a"], "rows": ["x"]})
    assert response.status_code == 422


def test_scanner_page(officer, world):
    client = client_for(officer)
    page = client.get("/console/privacy/scanner/")
    assert page.status_code == 200
    assert "PII scanner" in page.content.decode()
    response = client.post("/console/privacy/scanner/", {"text": TEXT})
    assert response.status_code == 200
    html = response.content.decode()
    assert_no_raw(html)
    assert "110105********002X" in html and "suspected" in html
    partial = client.post("/console/privacy/scanner/", {"text": TEXT}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert_no_raw(partial.content.decode())
    # the console navigation shows the page to the officer only
    assert "/console/privacy/scanner/" in client.get("/console/").content.decode()
    clerk = client_for(world.xihu_clerk)
    assert "/console/privacy/scanner/" not in clerk.get("/console/").content.decode()
    assert clerk.get("/console/privacy/scanner/").status_code == 403
    assert client_for(world.citizen).get("/console/privacy/scanner/").status_code in (302, 403)
