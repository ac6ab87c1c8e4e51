"""The GovStack-style REST flow and the pages."""

from __future__ import annotations

import pytest

from zhengtong.services.models import Case

pytestmark = pytest.mark.django_db


def test_catalogue_api_is_public(svc, client):
    r = client.get("/api/v1/services?limit=50")
    assert r.status_code == 200
    codes = {i["code"] for i in r.json()["items"]}
    assert "ZJ-SCJG-004" in codes
    item = svc.items["ZJ-SCJG-001"]
    r = client.get(f"/api/v1/services/{item.pk}")
    assert (
        r.status_code == 200
        and r.json()["fee_fen"] == 5000
        and r.json()["produces"] == "special_equipment_operator"
    )
    r = client.get(f"/api/v1/services/{item.pk}/eForms")
    assert r.status_code == 200 and r.json()["prefill"] == {}
    assert client.get("/api/v1/services/999999").status_code == 404
    assert client.get("/api/v1/services?department=market_regulation&visits=0").status_code == 200


def test_eform_prefill_masks_identifiers(svc, client):
    client.force_login(svc.citizen)
    item = svc.items["ZJ-SCJG-004"]
    body = client.get(f"/api/v1/services/{item.pk}/eForms").json()
    assert body["prefill"]["applicant_name"] == "张三"
    assert body["prefill"]["resident_id"] != svc.person.resident_id and "*" in body["prefill"]["resident_id"]
    assert {m["code"]: m["satisfied_by"] for m in body["materials"]} == {
        "id_card": "licence",
        "hukou": "population",
    }


def test_govstack_flow(svc, client):
    item = svc.items["ZJ-SCJG-004"]
    client.force_login(svc.citizen)
    r = client.post(
        f"/api/v1/services/{item.pk}/applications",
        {"data": {"premises": "x"}},
        content_type="application/json",
    )
    assert r.status_code == 422 and "shop_name" in r.json()["error"]["details"]["fields"]
    r = client.post(
        f"/api/v1/services/{item.pk}/applications",
        {"data": {"shop_name": "张记", "premises": "文三路1号"}},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    app = r.json()
    assert app["status"] == {"code": "PENDING", "ended": False, "state": "submitted", "label": "submitted"}
    assert "*" in app["data"]["resident_id"]
    case_id = app["id"]
    r = client.get("/api/v1/services/applications")
    assert [a["id"] for a in r.json()["items"]] == [case_id]
    # staff: task list and completion
    client.force_login(svc.counter)
    tasks = client.get("/api/v1/services/tasks?view=to_accept").json()
    assert [t["id"] for t in tasks["items"]] == [case_id] and tasks["counts"]["to_accept"] == 1
    assert tasks["items"][0]["actions"] == ["accept", "refuse", "request_correction"]
    version = tasks["items"][0]["version"]
    r = client.post(
        f"/api/v1/services/tasks/{case_id}/complete",
        {"status": "SENDBACK", "version": version, "note": "补正", "items": ["门牌号"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"]["code"] == "SENDBACK"
    client.force_login(svc.citizen)
    detail = client.get(f"/api/v1/services/applications/{case_id}").json()
    assert detail["correction_items"] == ["门牌号"]
    r = client.put(
        f"/api/v1/services/applications/{case_id}",
        {"data": {"premises": "文三路1号101室"}, "version": detail["version"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"]["state"] == "submitted"
    client.force_login(svc.counter)
    v = client.get(f"/api/v1/services/tasks/{case_id}").json()["version"]
    assert (
        client.post(
            f"/api/v1/services/tasks/{case_id}/complete",
            {"status": "APPROVED", "version": v - 1},
            content_type="application/json",
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/api/v1/services/tasks/{case_id}/complete",
            {"status": "APPROVED", "version": v},
            content_type="application/json",
        ).status_code
        == 200
    )
    client.force_login(svc.yiwu_reviewer)
    assert (
        client.post(
            f"/api/v1/services/tasks/{case_id}/complete",
            {"status": "APPROVED", "version": v + 1},
            content_type="application/json",
        ).status_code
        == 404
    )
    client.force_login(svc.reviewer)
    r = client.post(
        f"/api/v1/services/tasks/{case_id}/complete",
        {"status": "APPROVED", "version": v + 1, "note": "同意"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == {
        "code": "APPROVED",
        "ended": True,
        "state": "completed",
        "label": "completed",
    }
    client.force_login(svc.citizen)
    r = client.post(
        f"/api/v1/services/applications/{case_id}/rating",
        {"score": 5, "sub_scores": {"efficiency": 5}},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert client.get("/api/v1/services/ratings/stats").status_code == 200


def test_task_list_scoped_and_constant_queries(svc, client, django_assert_max_num_queries):
    from zhengtong.services import services

    for i in range(5):
        services.case_submit(
            actor=svc.citizen,
            item=svc.items["ZJ-SCJG-004"],
            raw={"shop_name": f"店{i}", "premises": "文三路"},
        )
    client.force_login(svc.counter)
    client.get("/api/v1/services/tasks")  # warm caches (session, grants)
    with django_assert_max_num_queries(12):
        r = client.get("/api/v1/services/tasks")
    assert len(r.json()["items"]) == 5
    client.force_login(svc.yiwu_counter)
    assert client.get("/api/v1/services/tasks").json()["items"] == []
    assert client.get("/api/v1/services/tasks?view=nope").status_code == 422


def test_pages_apply_with_autofill_and_field_errors(svc, client):
    assert client.get("/services/").status_code == 200
    assert client.get("/services/?life_event=business&visits=0&q=登记").status_code == 200
    assert client.get("/services/items/ZJ-SCJG-004/").status_code == 200
    assert client.get("/services/ratings/").status_code == 200
    client.force_login(svc.citizen)
    page = client.get("/services/items/ZJ-SCJG-004/apply/").content.decode()
    assert "张三" in page and svc.person.resident_id not in page
    assert "population registry" in page and "(一证通办: no upload needed)" in page
    r = client.post("/services/items/ZJ-SCJG-004/apply/", {"action": "submit", "premises": "文三路"})
    assert r.status_code == 422
    html = r.content.decode()
    assert 'aria-describedby="f_shop_name_error"' in html and 'id="f_shop_name_error"' in html
    r = client.post("/services/items/ZJ-SCJG-004/apply/", {"action": "draft", "premises": "文三路"})
    assert r.status_code == 302
    assert "文三路" in client.get("/services/items/ZJ-SCJG-004/apply/").content.decode()
    r = client.post(
        "/services/items/ZJ-SCJG-004/apply/",
        {"action": "submit", "premises": "文三路9号", "shop_name": "张记"},
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert client.get(f"/services/my/{case.pk}/").status_code == 200
    assert client.get("/services/my/").status_code == 200
    client.force_login(svc.counter)
    assert case.number in client.get("/services/console/").content.decode()
    r = client.post(f"/services/console/cases/{case.pk}/", {"action": "accept", "version": case.version})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "accepted"
    client.force_login(svc.yiwu_counter)
    assert client.get(f"/services/console/cases/{case.pk}/").status_code == 404
    client.force_login(svc.other_citizen)
    assert client.get(f"/services/my/{case.pk}/").status_code == 404


def test_bundle_pages(svc, client):
    from zhengtong.services import demo

    demo.publish_bundles(svc.world.xihu)
    assert client.get("/services/bundles/newborn/").status_code == 200
    client.force_login(svc.citizen)
    r = client.post(
        "/services/bundles/newborn/",
        {
            "action": "submit",
            "baby_name": "张小宝",
            "baby_sex": "M",
            "baby_birth_date": "2025-09-01",
            "birth_hospital": "妇产科医院",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    page = client.get(r["Location"]).content.decode()
    assert "张小宝" not in page and "In progress" in page
