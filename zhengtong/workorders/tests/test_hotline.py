"""12345 depth (issue 19 item 10): calls logged for callers known only by phone, with SMS at each
step; the knowledge base's suggested answers, direct answers and their use rate; the mandatory
call-back where 不满意 reopens; hotspot and trend analysis. Refusals change nothing."""

from __future__ import annotations

import pytest

from zhengtong.core import outbox
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.notify import services as notify_services
from zhengtong.workorders import selectors, services
from zhengtong.workorders.models import WorkOrder
from zhengtong.workorders.tests.test_workorders import login

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def hot(ww):
    from zhengtong.workspace.services import knowledge_entry_create

    ww.operator = ww.staff("operator_12345", "hotline_operator", ww.xihu)
    editor = ww.staff("kb_editor", "department_head", ww.xihu)
    ww.entry = knowledge_entry_create(
        actor=editor,
        kind="answer",
        visibility="public",
        title="居住证如何办理",
        body="携带身份证和租房合同到所在街道派出所办理，当场受理，15个工作日内制证。",
    )
    ww.internal = knowledge_entry_create(
        actor=editor,
        kind="procedure",
        visibility="internal",
        title="居住证内部审核要点",
        body="核对租房合同备案。",
    )
    return ww


@pytest.fixture
def sms(monkeypatch):
    sent: list[tuple[str, str]] = []

    class Backend:
        def send(self, number, text):
            sent.append((number, text))
            return f"t-{len(sent)}"

    monkeypatch.setattr(
        notify_services.ADAPTERS["sms"].__class__, "send", lambda self, r, m: Backend().send(r.phone, m.title)
    )
    return sent


def _call(hot, **kw):
    args = {
        "actor": hot.operator,
        "phone": PHONE,
        "caller_name": "王小明",
        "kind": "complaint",
        "category": "0701",
        "title": "超市出售过期食品",
        "description": "来电反映北山街道某超市出售过期牛奶",
        "region": hot.village,
    } | kw
    return services.call_log(**args)


def test_operator_logs_a_caller_known_only_by_phone_who_gets_sms_at_each_step(hot, sms):
    order = _call(hot)
    assert order.requester_id is None and order.created_by_id == hot.operator.pk
    assert order.channel == "hotline" and order.contact_phone == PHONE and order.caller_name == "王小明"
    assert order.state == "assigned"  # routed by the market rule
    assert order.contact_phone_masked != PHONE and order.caller_name_masked != "王小明"
    outbox.deliver_pending(topic=notify_services.SMS_NUMBER_TOPIC)
    assert [n for n, _t in sms] == [PHONE, PHONE]  # registered, passed to the department
    assert order.number in sms[0][1]
    services.work_order_take(actor=hot.scjg_handler, work_order=order)
    services.work_order_reply(actor=hot.scjg_handler, work_order=order, reply="已责令下架。")
    outbox.deliver_pending(topic=notify_services.SMS_NUMBER_TOPIC)
    assert len(sms) == 3 and order.number in sms[2][1]


def test_call_refusals_change_nothing(hot):
    before = WorkOrder.objects.count()
    with pytest.raises(PermissionDenied):  # a citizen logs no calls
        _call(hot, actor=hot.citizen)
    with pytest.raises(PermissionDenied):  # an operator of Xihu logs none for Yiwu
        _call(hot, region=hot.yiwu)
    for kw, field in (
        ({"phone": ""}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"kind": "rectification"}, "kind"),
        ({"knowledge_ref": "knowledge:999999"}, "knowledge_ref"),
        ({"answered_directly": True}, "knowledge_ref"),
    ):
        with pytest.raises(ValidationError) as exc:
            _call(hot, **kw)
        assert field in exc.value.fields, (kw, exc.value.fields)
    with pytest.raises(ValidationError) as exc:  # only a consultation is answered on the call
        _call(hot, knowledge_ref=f"knowledge:{hot.entry.pk}", answered_directly=True)
    assert "kind" in exc.value.fields
    assert WorkOrder.objects.count() == before


def test_suggested_answers_direct_answer_and_use_rate(hot, sms):
    from zhengtong.workorders import hooks

    # Staff (the operator) see public and internal entries; anyone else the public ones only.
    found = hooks.knowledge_search(hot.operator, "居住证", 5)
    assert {a.ref for a in found} == {f"knowledge:{hot.entry.pk}", f"knowledge:{hot.internal.pk}"}
    assert [a.title for a in hooks.knowledge_search(None, "居住证", 5)] == ["居住证如何办理"]
    order = _call(
        hot,
        kind="consultation",
        category="0901",
        title="居住证怎么办",
        knowledge_ref=f"knowledge:{hot.entry.pk}",
        answered_directly=True,
    )
    order.refresh_from_db()
    assert order.state == "closed" and order.answered_directly and order.sla_state == "stopped"
    assert order.knowledge_ref == f"knowledge:{hot.entry.pk}" and "派出所" in order.reply
    assert order.department_id is None  # never routed
    outbox.deliver_pending(topic=notify_services.SMS_NUMBER_TOPIC)
    assert len(sms) == 1
    _call(hot)  # a second call, not answered from the knowledge base
    a = selectors.analysis(hot.xihu_supervisor, days=7)
    assert (a["hotline_calls"], a["answered_directly"], a["knowledge_use_rate"]) == (2, 1, 0.5)


def test_close_needs_the_callback_and_dissatisfied_reopens(hot, sms):
    order = _call(hot)
    services.work_order_take(actor=hot.scjg_handler, work_order=order)
    services.work_order_reply(actor=hot.scjg_handler, work_order=order, reply="已处理。")
    version = order.version
    with pytest.raises(ValidationError):
        services.work_order_close(actor=hot.xihu_supervisor, work_order=order)
    order.refresh_from_db()
    assert order.state == "replied" and order.version == version
    services.work_order_callback(actor=hot.operator, work_order=order, satisfaction=2, note="来电人不满意")
    order.refresh_from_db()
    assert order.state == "in_progress" and order.satisfaction == 2 and order.sla_state == "on_time"
    services.work_order_reply(actor=hot.scjg_handler, work_order=order, reply="已再次核查并处罚。")
    services.work_order_callback(actor=hot.operator, work_order=order, satisfaction=4)
    services.work_order_close(actor=hot.xihu_supervisor, work_order=order)
    order.refresh_from_db()
    assert order.state == "closed"
    a = selectors.analysis(hot.xihu_supervisor, days=7)
    assert a["callback_rate"] == 1.0 and a["dissatisfied_share"] == 0.0


def test_analysis_by_category_region_and_day(hot):
    _call(hot)
    _call(hot, category="0901")
    _call(hot)
    a = selectors.analysis(hot.xihu_supervisor, days=7)
    assert a["total"] == 3 and len(a["trend"]) == 7 and a["trend"][-1]["count"] == 3
    assert [(r["code"], r["count"]) for r in a["by_category"]] == [("0701", 2), ("0901", 1)]
    assert a["by_region"][0]["count"] == 3 and a["hotspots"][0]["count"] == 2
    # Another county sees none of them.
    assert selectors.analysis(hot.yiwu_handler, days=7)["total"] == 0


def test_pages_and_api(hot, client):
    op = login(hot.operator)
    page = op.post(
        "/console/workorders/call/",
        {"intent": "suggest", "title": "居住证", "phone": "", "kind": "consultation"},
    )
    assert page.status_code == 200 and "居住证如何办理" in page.content.decode()
    before = WorkOrder.objects.count()
    assert login(hot.citizen).get("/console/workorders/call/").status_code in (302, 403)
    assert WorkOrder.objects.count() == before
    r = op.post(
        "/api/v1/workorders/calls",
        {
            "phone": PHONE,
            "kind": "consultation",
            "category": "0901",
            "title": "居住证",
            "description": "来电咨询居住证",
            "region": hot.village.code,
            "knowledge_ref": f"knowledge:{hot.entry.pk}",
            "answered_directly": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "closed" and body["answered_directly"] and PHONE not in r.content.decode()
    r = op.get("/api/v1/workorders/analysis?days=7")
    assert r.status_code == 200 and r.json()["knowledge_use_rate"] == 1.0
    page = login(hot.xihu_supervisor).get("/console/workorders/analysis/?days=7")
    assert page.status_code == 200 and "wo-analysis-data" in page.content.decode()
    # The public 12345 answers: public entries only, searchable in Chinese.
    page = client.get("/workorders/answers/?q=居住证")
    text = page.content.decode()
    assert page.status_code == 200 and "居住证如何办理" in text and "内部审核" not in text
