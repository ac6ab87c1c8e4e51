"""The REST API (key-authenticated exchange endpoints, receipts for both parties) and the pages."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from zhengtong.sharing import receipts
from zhengtong.sharing.models import Exchange, SharingRequest


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_verify_over_http_with_the_grant_key(shr):
    grant, secret = shr.grant()
    client = Client()
    body = {"subject": {"resident_id": shr.person.resident_id, "name": "张三"}, "on_behalf_of": "ZJ-1"}
    r = client.post(
        "/api/v1/sharing/exchange/verify",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["result"] == "match" and receipts.verify(data["receipt"])
    assert Exchange.objects.get(on_behalf_of="ZJ-1").grant_id == grant.pk
    # both parties fetch the receipt; an outsider cannot
    rid = data["receipt"]["payload"]["id"]
    for user in (shr.consumer, shr.owner):
        got = login(user).get(f"/api/v1/sharing/receipts/{rid}")
        assert got.status_code == 200 and got.json()["signature"] == data["receipt"]["signature"]
    outsider = shr.world.staff("sh_out", "counter_staff", shr.world.yiwu, shr.world.yiwu_scjg)
    assert login(outsider).get(f"/api/v1/sharing/receipts/{rid}").status_code == 404


def test_http_refusals_return_nothing_but_the_reason_and_receipt(shr):
    grant, secret = shr.grant()
    client = Client()
    body = {"subject": {"resident_id": shr.person.resident_id, "phone": "13900000000"}}
    r = client.post(
        "/api/v1/sharing/exchange/verify",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "outside_fields" and "result" not in r.json()
    assert receipts.verify(error["details"]["receipt"])
    no_key = client.post("/api/v1/sharing/exchange/verify", json.dumps(body), content_type="application/json")
    assert no_key.status_code == 401
    bad = client.post(
        "/api/v1/sharing/exchange/verify",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer zts_abcd_wrong",
    )
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "no_grant"


def test_request_and_approval_pages(shr):
    consumer = login(shr.consumer)
    page = consumer.get(f"/sharing/sources/{shr.profile.pk}/")
    assert page.status_code == 200 and "人口综合库" in page.content.decode()
    r = consumer.post(
        f"/sharing/sources/{shr.profile.pk}/",
        {
            "do": "request",
            "r-fields_": ["resident_id", "name"],
            "r-purpose": "核验申请人身份",
            "r-legal_basis": "《行政许可法》",
            "r-mode": "verification",
            "r-valid_until": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
            "r-hours_from": "0",
            "r-hours_to": "24",
        },
    )
    assert r.status_code == 302, r.context["form"].errors
    request = SharingRequest.objects.get(consumer_department=shr.world.xihu_scjg)
    owner = login(shr.owner)
    assert str(request.pk) in owner.get("/sharing/requests/decide/").content.decode()
    owner.post(f"/sharing/requests/{request.pk}/", {"action": "approve", "note": ""})
    login(shr.officer).post(f"/sharing/requests/{request.pk}/", {"action": "approve", "note": ""})
    request.refresh_from_db()
    assert request.state == "approved"
    detail = consumer.post(f"/sharing/grants/{request.grant.pk}/", {"action": "key"})
    assert "zts_" in detail.content.decode()
    for url in ("/sharing/", "/sharing/grants/", "/sharing/requests/", "/sharing/usage/"):
        assert owner.get(url).status_code == 200, url


def test_consumer_cannot_suspend_from_the_page(shr):
    grant, _ = shr.grant()
    r = login(shr.consumer).post(f"/sharing/grants/{grant.pk}/", {"action": "suspend", "note": "x"})
    assert r.status_code == 200
    grant.refresh_from_db()
    assert grant.state == "active"
