"""好差评 to GB/T 39734/39735: stages and staff, channels, reasons, the SMS link, the mandatory
call-back, the rater's verdict, a department's contest and the period indicators."""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

import pytest
from django.core import signing
from django.utils import timezone

from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.services import evaluation, selectors, services
from zhengtong.services.models import Case, Rating
from zhengtong.services.services.common import rating_link_token

pytestmark = pytest.mark.django_db


def _case(svc, name="张记"):
    return services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": name, "premises": "文三路1号"}
    )


def _done(svc, name="张记"):
    case = _case(svc, name)
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    case.refresh_from_db()
    return case


def _snapshot():
    return list(
        Rating.objects.order_by("pk").values_list("pk", "state", "dispute", "excluded", "verdict", "score")
    )


def test_stages_staff_and_refusals(svc):
    case = _case(svc)
    with pytest.raises(Conflict):  # not accepted yet
        services.rating_submit(actor=svc.citizen, case=case, score=5, stage="accepted")
    services.case_accept(actor=svc.counter, case=case)
    case.refresh_from_db()
    with pytest.raises(Conflict):  # the result is rated after the case ends
        services.rating_submit(actor=svc.citizen, case=case, score=5, stage="ended")
    with pytest.raises(ValidationError) as err:
        services.rating_submit(actor=svc.citizen, case=case, score=5, stage="accepted", channel="fax")
    assert "channel" in err.value.fields
    with pytest.raises(ValidationError) as err:
        services.rating_submit(actor=svc.citizen, case=case, score=4, stage="accepted", reasons=["slow"])
    assert "reasons" in err.value.fields
    with pytest.raises(ValidationError) as err:
        services.rating_submit(
            actor=svc.citizen, case=case, score=1, comment="x", stage="accepted", reasons=["rude"]
        )
    assert "reasons" in err.value.fields
    with pytest.raises(PermissionDenied):  # counter staff cannot record a hotline rating
        services.rating_submit(actor=svc.counter, case=case, score=5, stage="accepted", channel="hotline")
    assert Rating.objects.count() == 0
    first = services.rating_submit(actor=svc.citizen, case=case, score=5, stage="accepted", channel="counter")
    assert (first.stage, first.channel, first.staff_id) == ("accepted", "counter", svc.counter.pk)
    with pytest.raises(Conflict):
        services.rating_submit(actor=svc.citizen, case=case, score=3, stage="accepted")
    services.case_approve(actor=svc.reviewer, case=case)
    case.refresh_from_db()
    second = services.rating_submit(actor=svc.citizen, case=case, score=4)
    assert (second.stage, second.channel, second.staff_id) == ("ended", "web", svc.reviewer.pk)
    assert Rating.objects.filter(case=case).count() == 2
    staff = {r["name"]: (r["count"], r["average"]) for r in selectors.ratings_by_staff(svc.supervisor)}
    assert staff[str(svc.counter)] == (1, 5.0) and staff[str(svc.reviewer)] == (1, 4.0)


def test_invitations_and_link(svc):
    from zhengtong.notify.models import Delivery, Message

    case = _case(svc)
    services.case_accept(actor=svc.counter, case=case)
    invite = Message.objects.get(recipient=svc.citizen, event="services.rating.invite")
    assert "/services/rate/" in invite.body
    assert Delivery.objects.filter(message=invite, channel="sms").count() == 1
    token = invite.body.rsplit("/services/rate/", 1)[1].strip("/")
    rating = services.rating_submit_by_link(token=token, score=2, comment="排队太久", reasons=["slow"])
    assert (rating.channel, rating.stage, rating.applicant_id, rating.state) == (
        "sms",
        "accepted",
        svc.citizen.pk,
        "rectifying",
    )
    before = _snapshot()
    with pytest.raises(Conflict):  # one rating per stage
        services.rating_submit_by_link(token=token, score=5)
    with pytest.raises(ValidationError) as err:
        services.rating_submit_by_link(token=token[:-2] + "xx", score=5)
    assert "token" in err.value.fields
    old = time.time() - 86400 * 31
    with mock.patch("django.core.signing.time.time", return_value=old):
        stale = rating_link_token(case, "ended")
    with pytest.raises(ValidationError):
        services.rating_submit_by_link(token=stale, score=5)
    forged = signing.dumps(
        {"c": case.pk, "a": svc.other_citizen.pk, "s": "ended"}, salt="other", compress=True
    )
    with pytest.raises(ValidationError):
        services.rating_submit_by_link(token=forged, score=5)
    assert _snapshot() == before
    services.case_approve(actor=svc.reviewer, case=case)
    assert Message.objects.filter(recipient=svc.citizen, event="services.rating.invite").count() == 2


def _rectify(svc, rating, *, satisfaction=4):
    from zhengtong.workorders import services as wo_services
    from zhengtong.workorders.models import WorkOrder

    wo = WorkOrder.objects.get(pk=rating.work_order_id)
    if wo.state == "submitted":
        wo = wo_services.work_order_assign(actor=svc.supervisor, work_order=wo, department=rating.department)
    if wo.state == "assigned":
        wo = wo_services.work_order_take(actor=svc.supervisor, work_order=wo)
    wo = wo_services.work_order_reply(
        actor=svc.supervisor, work_order=wo, reply="已约谈窗口人员，改进排队叫号。"
    )
    with pytest.raises(ValidationError):  # no close before the call-back
        wo_services.work_order_close(actor=svc.supervisor, work_order=wo)
    wo.refresh_from_db()
    rating.refresh_from_db()
    assert (wo.state, rating.state) == ("replied", "rectifying")
    wo = wo_services.work_order_callback(
        actor=svc.supervisor, work_order=wo, satisfaction=satisfaction, note="已回访"
    )
    wo_services.work_order_close(actor=svc.supervisor, work_order=wo)
    rating.refresh_from_db()
    return rating


def test_callback_then_verdict(svc):
    case = _done(svc)
    rating = services.rating_submit(
        actor=svc.citizen, case=case, score=1, comment="态度差", reasons=["attitude"]
    )
    with pytest.raises(Conflict):  # no verdict before the rectification
        services.rating_verdict(actor=svc.citizen, rating=rating, satisfied=True)
    rating = _rectify(svc, rating, satisfaction=4)
    assert (rating.state, rating.callback_satisfaction) == ("rectified", 4)
    assert rating.rectified_at is not None
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.rating_verdict(actor=svc.other_citizen, rating=rating, satisfied=True)
    with pytest.raises(ValidationError) as err:
        services.rating_verdict(actor=svc.citizen, rating=rating, satisfied=False, note="")
    assert "note" in err.value.fields
    with pytest.raises(ValidationError):
        services.rating_verdict(actor=svc.citizen, rating=rating, satisfied="yes")
    assert _snapshot() == before
    rating = services.rating_verdict(actor=svc.citizen, rating=rating, satisfied=True)
    assert (rating.verdict, rating.state) == ("satisfied", "rectified")
    with pytest.raises(Conflict):
        services.rating_verdict(actor=svc.citizen, rating=rating, satisfied=False, note="again")


def test_department_contest_removes_from_statistics(svc, world):
    case = _done(svc)
    good_case = _done(svc, "李记")
    services.rating_submit(actor=svc.citizen, case=good_case, score=5)
    rating = services.rating_submit(actor=svc.citizen, case=case, score=1, comment="乱评", reasons=["other"])
    good = Rating.objects.get(case=good_case)
    before = _snapshot()
    with pytest.raises(PermissionDenied):  # another county's staff
        services.rating_contest(actor=svc.yiwu_counter, rating=rating, reason="恶意")
    with pytest.raises(PermissionDenied):  # a citizen
        services.rating_contest(actor=svc.other_citizen, rating=rating, reason="恶意")
    with pytest.raises(ValidationError):
        services.rating_contest(actor=svc.counter, rating=rating, reason=" ")
    with pytest.raises(Conflict):  # only a 差评
        services.rating_contest(actor=svc.counter, rating=good, reason="恶意")
    with pytest.raises(Conflict):  # nothing to decide yet
        services.rating_contest_decide(actor=svc.supervisor, rating=rating, uphold=True, note="x")
    assert _snapshot() == before
    services.rating_contest(actor=svc.counter, rating=rating, reason="申请人与办件无关，评价内容系恶意攻击。")
    rating.refresh_from_db()
    assert (rating.dispute, rating.dispute_by_id, rating.excluded) == ("pending", svc.counter.pk, False)
    with pytest.raises(Conflict):
        services.rating_contest(actor=svc.counter, rating=rating, reason="again")
    before = _snapshot()
    with pytest.raises(PermissionDenied):  # the counter cannot decide
        services.rating_contest_decide(actor=svc.counter, rating=rating, uphold=True, note="x")
    with pytest.raises(ValidationError):
        services.rating_contest_decide(actor=svc.supervisor, rating=rating, uphold=True, note="")
    assert _snapshot() == before
    today = timezone.localdate()
    period = evaluation.period_indicators(today, today)["total"]
    assert (period["n"], period["bad"], period["excluded_n"]) == (2, 1, 0)
    services.rating_contest_decide(actor=svc.supervisor, rating=rating, uphold=True, note="经核实为恶意差评")
    rating.refresh_from_db()
    assert (rating.dispute, rating.excluded) == ("upheld", True)
    period = evaluation.period_indicators(today, today)["total"]
    assert (period["n"], period["bad"], period["excluded_n"], period["average"]) == (1, 0, 1, 5.0)
    stats = selectors.rating_stats()
    assert [(d["count"], d["bad"]) for d in stats["departments"]] == [(1, 0)]


def test_contest_by_the_supervisor_is_decided_by_another(svc, world):
    case = _done(svc)
    rating = services.rating_submit(actor=svc.citizen, case=case, score=2, comment="慢", reasons=["slow"])
    services.rating_contest(actor=svc.supervisor, rating=rating, reason="恶意")
    with pytest.raises(PermissionDenied):
        services.rating_contest_decide(actor=svc.supervisor, rating=rating, uphold=True, note="自己裁决")
    rating.refresh_from_db()
    assert (rating.dispute, rating.excluded) == ("pending", False)
    other = world.staff("s_supervisor2", "supervisor", world.xihu)
    services.rating_contest_decide(actor=other, rating=rating, uphold=False, note="评价属实")
    rating.refresh_from_db()
    assert (rating.dispute, rating.excluded) == ("dismissed", False)


def test_period_indicators_exact(svc):
    from zhengtong.core.workflow import timeline

    a = _done(svc, "甲")  # first time, on time
    b = _case(svc, "乙")
    services.case_request_correction(actor=svc.counter, case=b, note="补", items=["门牌号"])
    b.refresh_from_db()
    services.case_resubmit(actor=svc.citizen, case=b, raw={"shop_name": "乙", "premises": "文三路2号"})
    b.refresh_from_db()
    services.case_accept(actor=svc.counter, case=b)
    services.case_approve(actor=svc.reviewer, case=b)
    c = _done(svc, "丙")
    Case.objects.filter(pk=c.pk).update(sla_deadline=timezone.localdate() - dt.timedelta(days=2))
    _case(svc, "丁")  # not completed: not counted
    assert any(e.transition == "request_correction" for e in timeline(b))
    services.rating_submit(actor=svc.citizen, case=a, score=5)
    bad = services.rating_submit(
        actor=svc.citizen, case=b, score=2, comment="补正两次", reasons=["materials"]
    )
    _rectify(svc, bad, satisfaction=3)
    today = timezone.localdate()
    data = evaluation.period_indicators(today, today)
    total = data["total"]
    assert (total["done"], total["rated"], total["first_time"], total["on_time"]) == (3, 2, 2, 2)
    assert (total["participation"], total["first_time_rate"], total["on_time_rate"]) == (66.7, 66.7, 66.7)
    assert (total["bad"], total["rectified"], total["called"]) == (1, 1, 1)
    assert (total["rectification_rate"], total["callback_rate"], total["average"]) == (100.0, 100.0, 3.5)
    assert [d["department"] for d in data["departments"]] == [svc.items["ZJ-SCJG-004"].department.name]
    rows = evaluation.dataset_rows([f"{today:%Y-%m}"])
    assert rows[-1][:5] == (f"{today:%Y-%m}", "合计", 3, 2, 66.7)
    yesterday = today - dt.timedelta(days=1)
    assert evaluation.period_indicators(yesterday, yesterday)["total"]["done"] == 0


def test_api_rating_contest_and_indicators(svc, client):
    case = _done(svc)
    citizen, counter = {}, {}
    client.force_login(svc.citizen)
    url = f"/api/v1/services/applications/{case.pk}/rating"
    r = client.post(url, {"score": 1, "comment": "差"}, content_type="application/json", **citizen)
    assert r.status_code == 422 and "reasons" in r.json()["error"]["details"]["fields"]
    assert Rating.objects.count() == 0
    r = client.post(
        url,
        {"score": 1, "comment": "差", "reasons": ["slow"], "stage": "ended"},
        content_type="application/json",
        **citizen,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["channel"], body["stage"], body["reasons"], body["staff_id"]) == (
        "mobile",
        "ended",
        ["slow"],
        svc.reviewer.pk,
    )
    rid = body["id"]
    before = _snapshot()
    r = client.post(
        f"/api/v1/services/ratings/{rid}/contest",
        {"reason": "恶意"},
        content_type="application/json",
        **citizen,
    )
    assert r.status_code in (403, 404)
    assert _snapshot() == before
    client.force_login(svc.counter)
    r = client.post(
        f"/api/v1/services/ratings/{rid}/contest",
        {"reason": "恶意"},
        content_type="application/json",
        **counter,
    )
    assert r.status_code == 200 and r.json()["dispute"] == "pending"
    r = client.get("/api/v1/services/ratings/indicators?date_from=2026-01-02&date_to=2026-01-01")
    assert r.status_code == 422 and "date_to" in r.json()["error"]["details"]["fields"]
    today = timezone.localdate()
    r = client.get(f"/api/v1/services/ratings/indicators?date_from={today}&date_to={today}")
    assert r.status_code == 200 and r.json()["total"]["bad"] == 1 and r.json()["total"]["done"] == 1
