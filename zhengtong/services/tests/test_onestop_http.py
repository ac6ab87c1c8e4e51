"""Pages and API of counter intake, 告知承诺 and 通办 transfers: who may call what, and that a
refused call changes nothing."""

from __future__ import annotations

import pytest

from zhengtong.services.tests.test_onestop import _counts, one  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _body(s, **kw):
    return {
        "item": "ZJ-SCJG-101",
        "resident_id": s.citizen.resident_id,
        "id_document": "resident_id_card",
        "id_method": "reader",
        "data": {"shop_name": "张记"},
        "commitments": ["health"],
        "confirmation": "screen",
    } | kw


def test_api_counter_intake_and_refusals(one, client):  # noqa: F811
    before = _counts()
    client.force_login(one.gaj_counter)
    r = client.post("/api/v1/services/counter/applications", _body(one), content_type="application/json")
    assert r.status_code == 403 and _counts() == before
    client.force_login(one.counter)
    r = client.post(
        "/api/v1/services/counter/applications", _body(one, id_document="x"), content_type="application/json"
    )
    assert r.status_code == 422 and "id_document" in r.json()["error"]["details"]["fields"]
    r = client.post(
        "/api/v1/services/counter/applications",
        _body(one, data={"shop_name": "x", "nope": 1}),
        content_type="application/json",
    )
    assert r.status_code == 422 and "nope" in r.json()["error"]["details"]["fields"]
    assert _counts() == before
    r = client.post("/api/v1/services/counter/applications", _body(one), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["applicant"], body["submitted_by"], body["channel"]) == (
        one.citizen.username,
        one.counter.username,
        "counter",
    )
    assert body["commitments"] == ["health"] and len(body["confirmed_sha256"]) == 64
    r = client.post(
        f"/api/v1/services/counter/applications/{body['id']}/rating",
        {"score": 5},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["score"] == 5
    # The citizen cannot use the counter endpoint.
    client.force_login(one.citizen)
    r = client.post("/api/v1/services/counter/applications", _body(one), content_type="application/json")
    assert r.status_code == 403


def test_api_commitment_list_and_finding(one, client):  # noqa: F811
    from zhengtong.services import services

    r = client.get("/api/v1/services/commitment-items")
    assert r.status_code == 200
    assert [(i["code"], [m["code"] for m in i["materials"]]) for i in r.json()] == [
        ("ZJ-SCJG-101", ["health"])
    ]
    case = services.counter_file(
        actor=one.counter,
        item=one.item,
        resident_id=one.citizen.resident_id,
        id_document="resident_id_card",
        id_method="reader",
        raw={"shop_name": "x"},
        files={},
        commit={"health"},
        confirmation="screen",
    )
    services.case_accept(actor=one.counter, case=case)
    services.case_approve(actor=one.reviewer, case=case)
    client.force_login(one.yiwu_reviewer)
    before = _counts()
    r = client.post(
        f"/api/v1/services/commitment-checks/{case.pk}/finding",
        {"result": "false", "note": "不实", "materials": ["health"]},
        content_type="application/json",
    )
    assert r.status_code == 404 and _counts() == before
    client.force_login(one.reviewer)
    r = client.get("/api/v1/services/commitment-checks")
    assert [c["case"] for c in r.json()] == [case.number]
    r = client.post(
        f"/api/v1/services/commitment-checks/{case.pk}/finding",
        {"result": "false", "note": "不实", "materials": ["health"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "false" and r.json()["case_state"] == "revoked"


def test_api_transfers_both_counters(one, client):  # noqa: F811
    from zhengtong.services import services

    services.item_set_tongban(actor=one.world.system, item=one.item, scope="province")
    client.force_login(one.yiwu_counter)
    body = _body(one) | {"counter_unit": "330782", "delivery": "counter"}
    r = client.post(
        "/api/v1/services/transfers", body | {"counter_unit": "330106"}, content_type="application/json"
    )
    assert r.status_code == 403
    r = client.post("/api/v1/services/transfers", body, content_type="application/json")
    assert r.status_code == 201, r.content
    t = r.json()
    assert (
        t["receiving_unit"] == "330782" and t["competent_unit"] == "330106" and t["number"].startswith("TB")
    )
    client.force_login(one.counter)
    listed = client.get("/api/v1/services/transfers").json()
    assert [x["number"] for x in listed] == [t["number"]] and listed[0]["actions"] == ["send_to_counter"]
    r = client.post(
        f"/api/v1/services/transfers/{t['id']}/send_to_counter", {}, content_type="application/json"
    )
    assert r.status_code == 409  # the case has not ended
    client.force_login(one.gaj_counter)
    assert client.get("/api/v1/services/transfers").json() == []


def test_pages(one, client):  # noqa: F811
    assert client.get("/services/commitments/").status_code == 200
    client.force_login(one.citizen)
    assert client.get("/services/console/counter/").status_code in (302, 403)
    assert client.get("/services/my/proxies/").status_code == 200
    client.force_login(one.counter)
    r = client.get(f"/services/console/counter/?item=ZJ-SCJG-101&resident_id={one.citizen.resident_id}")
    assert r.status_code == 200 and 'name="commit_health"' in r.content.decode()
    before = _counts()
    r = client.post(
        "/services/console/counter/",
        {
            "item": "ZJ-SCJG-101",
            "resident_id": one.citizen.resident_id,
            "id_document": "resident_id_card",
            "id_method": "reader",
            "shop_name": "张记",
            "commit_health": "1",
            "confirmation": "screen",
        },
    )
    assert r.status_code == 422 and _counts() == before  # the applicant did not confirm
    r = client.post(
        "/services/console/counter/",
        {
            "item": "ZJ-SCJG-101",
            "resident_id": one.citizen.resident_id,
            "id_document": "resident_id_card",
            "id_method": "reader",
            "shop_name": "张记",
            "commit_health": "1",
            "confirmation": "screen",
            "screen_confirmed": "1",
        },
    )
    assert r.status_code == 302
    from zhengtong.services.models import Case

    case = Case.objects.get(intake_channel="counter")
    assert r["Location"] == f"/services/console/counter/{case.pk}/"
    assert client.get(r["Location"]).status_code == 200
    client.force_login(one.gaj_counter)
    assert client.get(f"/services/console/counter/{case.pk}/").status_code == 404
    client.force_login(one.reviewer)
    assert client.get("/services/console/checks/").status_code == 200
    assert client.get("/services/console/transfers/").status_code == 200
