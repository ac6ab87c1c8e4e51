"""The API and the pages: public reads, the requester's and the staff's writes, refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from zhengtong.opengov import services
from zhengtong.opengov.models import InfoRequest

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_api_request_flow(og):
    citizen, officer, head = login(og.citizen), login(og.officer), login(og.head)
    r = _post(
        citizen,
        "/api/v1/opengov/requests",
        {"department": og.xihu_scjg.pk, "description": "请公开2026年抽检计划"},
    )
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert r.json()["state"] == "received"
    r = officer.get(f"/api/v1/opengov/requests/{number}")
    assert r.status_code == 200 and "reply" in r.json()["actions"] and "extend" not in r.json()["actions"]
    r = _post(head, f"/api/v1/opengov/requests/{number}", {"action": "extend", "note": "需协调"})
    assert r.status_code == 200 and r.json()["extended_on"]
    r = _post(head, f"/api/v1/opengov/requests/{number}", {"action": "extend", "note": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_extended"
    r = _post(
        officer, f"/api/v1/opengov/requests/{number}", {"action": "reply", "reply_type": "not_disclosable"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "reply_incomplete"
    assert "legal_ground" in r.json()["error"]["details"]["fields"]
    r = _post(
        officer,
        f"/api/v1/opengov/requests/{number}",
        {"action": "reply", "reply_type": "disclosed", "reply_text": "计划见附表"},
    )
    assert r.status_code == 200 and r.json()["letter_code"]
    r = _post(citizen, f"/api/v1/opengov/requests/mine/{number}", {"action": "publish"})
    assert r.status_code == 200 and r.json()["published"] is True
    r = Client().get("/api/v1/opengov/published-requests")
    assert [x["number"] for x in r.json()["items"]] == [number]
    assert "requester" not in r.json()["items"][0]


def test_api_staff_out_of_scope_is_404_and_nothing_changes(og):
    req = services.request_file(actor=og.citizen, department=og.xihu_scjg, description="请公开")
    r = _post(
        login(og.yiwu_officer),
        f"/api/v1/opengov/requests/{req.number}",
        {"action": "reply", "reply_type": "disclosed", "reply_text": "x"},
    )
    assert r.status_code == 404
    req.refresh_from_db()
    assert req.state == "received"
    assert Client().get("/api/v1/opengov/worklist").status_code == 401


def test_api_documents_search_and_feeds(og):
    doc = services.document_publish(
        actor=og.officer,
        department=og.xihu_scjg,
        category="policy",
        title="关于食品安全抽检的公告",
        body="本局将开展食品安全抽检。",
        issuing_body="西湖区市场监督管理局",
        issued_on=dt.date(2026, 2, 1),
    )
    r = Client().get("/api/v1/opengov/documents", {"q": "安全抽检"})
    assert r.status_code == 200 and [x["id"] for x in r.json()["items"]] == [doc.pk]
    r = Client().get("/api/v1/opengov/documents", {"q": "x" * 51})
    assert r.status_code == 422
    r = Client().get("/opengov/documents/feed.atom")
    assert r.status_code == 200 and "关于食品安全抽检的公告" in r.content.decode()
    assert Client().get("/opengov/documents/feed.rss").status_code == 200
    page = Client().get("/opengov/documents/", {"q": "食品"})
    assert page.status_code == 200 and "关于食品安全抽检的公告" in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/opengov/",
        "/opengov/documents/",
        "/opengov/requests/",
        "/opengov/reports/",
        "/opengov/consultations/",
        "/opengov/mailbox/",
        "/opengov/powers/",
        "/opengov/publicity/",
        "/api/v1/opengov/publicity",
        "/api/v1/opengov/powers",
        "/api/v1/opengov/reports",
    ],
)
def test_public_pages_render(og, url):
    assert Client().get(url).status_code == 200


def test_pages_request_flow(og):
    citizen = login(og.citizen)
    r = citizen.post(
        "/opengov/requests/new/",
        {"department": og.xihu_scjg.pk, "description": "请公开某事项", "delivery": "online"},
    )
    assert r.status_code == 302
    req = InfoRequest.objects.get()
    r = login(og.officer).post(
        f"/console/opengov/requests/{req.number}/",
        {"action": "reply", "reply_type": "already_public", "public_link": "ftp://x"},
    )
    assert r.status_code == 200 and "http(s)" in r.content.decode()
    req.refresh_from_db()
    assert req.state == "received"
    assert citizen.get(f"/opengov/requests/mine/{req.number}/").status_code == 200
    assert login(og.officer).get(f"/console/opengov/requests/{req.number}/").status_code == 200
    assert login(og.yiwu_officer).get(f"/console/opengov/requests/{req.number}/").status_code == 404


def test_api_document_publish_and_repeal(og):
    officer = login(og.officer)
    body = {
        "department": og.xihu_scjg.pk,
        "category": "policy",
        "title": "西湖区餐饮油烟管理办法",
        "body": "第一条 为治理餐饮油烟……",
        "issuing_body": "西湖区市场监督管理局",
        "issued_on": "2026-04-01",
        "doc_number": "西市监〔2026〕7号",
    }
    r = _post(officer, "/api/v1/opengov/documents", body)
    assert r.status_code == 201, r.content
    first = r.json()["id"]
    r = _post(
        officer,
        "/api/v1/opengov/documents",
        {**body, "title": "西湖区餐饮油烟管理办法（修订）", "replaces": first},
    )
    assert r.status_code == 201
    assert Client().get(f"/api/v1/opengov/documents/{first}").json()["validity"] == "replaced"
    second = r.json()["id"]
    r = _post(officer, f"/api/v1/opengov/documents/{second}/validity", {"validity": "repealed"})
    assert r.status_code == 200 and r.json()["validity"] == "repealed"
    r = _post(login(og.yiwu_officer), "/api/v1/opengov/documents", body)
    assert r.status_code == 403
    assert Client().get("/api/v1/opengov/documents", {"q": "油烟"}).json()["items"][0]["id"] in (
        first,
        first + 1,
    )


def test_console_publishes_a_document(og):
    r = login(og.officer).post(
        "/console/opengov/documents/new/",
        {
            "department": og.xihu_scjg.pk,
            "category": "plan",
            "topic": "market",
            "title": "2027年抽检计划",
            "issuing_body": "西湖区市场监督管理局",
            "issued_on": "2026-11-01",
            "body": "全年抽检……",
        },
    )
    assert r.status_code == 302
    from zhengtong.opengov.models import Document

    assert list(Document.objects.values_list("title", "category")) == [("2027年抽检计划", "plan")]
    r = login(og.yiwu_officer).post("/console/opengov/documents/new/", {"department": og.xihu_scjg.pk})
    assert r.status_code == 200 and Document.objects.count() == 1
