"""Work orders: open with routing and deadlines, the lifecycle, scope, hooks, notifications."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.models import TimelineEntry
from zhengtong.notify.models import Message
from zhengtong.workorders import hooks, selectors, services
from zhengtong.workorders.models import WorkOrder


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def open_order(ww, *, kind="complaint", category="0701", region=None, **kw):
    return services.work_order_open(
        actor=kw.pop("actor", ww.citizen),
        requester=kw.pop("requester", ww.citizen),
        kind=kind,
        category=category,
        title="超市出售过期食品",
        description="北山街道某超市出售过期牛奶",
        region=region or ww.village,
        **kw,
    )


def snapshot(order: WorkOrder) -> tuple:
    order.refresh_from_db()
    return order.state, order.version, order.department_id, order.org_unit_id, order.reply


def test_open_routes_by_category_and_region_with_kind_deadline(ww):
    order = open_order(ww)
    assert (order.state, order.department, order.org_unit) == ("assigned", ww.xihu_scjg, ww.xihu)
    assert order.due_working_days == 15
    assert order.sla_deadline == add_working_days(order.sla_started_on, 15)
    assert order.number.startswith("GD")
    assert list(
        TimelineEntry.objects.filter(object_type="workorders.workorder").values_list("transition", flat=True)
    ) == ["create", "assign"]
    consult = open_order(ww, kind="consultation")
    assert consult.due_working_days == 2


def test_open_without_rule_goes_to_township_or_county_office(ww):
    order = open_order(ww, category="0502")
    assert (order.state, order.department, order.org_unit) == ("submitted", None, ww.beishan)
    county = open_order(ww, category="0502", region=ww.yiwu)
    assert county.org_unit == ww.yiwu


def test_rectification_by_another_module(ww):
    from zhengtong.accounts.services import system_actor

    order = services.work_order_open(
        actor=system_actor(),
        kind="rectification",
        category="1101",
        title="差评整改",
        description="评价 1 星",
        region=ww.xihu,
        department=ww.xihu_gaj,
        source_ref="rating:7",
        due_working_days=5,
    )
    assert (order.department, order.due_working_days, order.source_ref, order.requester) == (
        ww.xihu_gaj,
        5,
        "rating:7",
        None,
    )
    with pytest.raises(PermissionDenied):  # citizens cannot open rectifications
        open_order(ww, kind="rectification")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"category": "aliens"}, "category"),
        ({"title": "  "}, "title"),
        ({"description": "x" * 4001}, "description"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"due_working_days": 0}, "due_working_days"),
    ],
)
def test_bad_input_is_a_field_error(ww, kw, field):
    args = {"kind": "complaint", "category": "0701", "title": "t", "description": "d"}
    args.update(kw)
    with pytest.raises(ValidationError) as exc:
        services.work_order_open(actor=ww.citizen, requester=ww.citizen, region=ww.village, **args)
    assert field in exc.value.fields
    assert not WorkOrder.objects.exists()


def test_full_lifecycle_with_callback_close_and_hook(ww):
    closed = []
    hooks.on_closed("lifecycle")(lambda work_order: closed.append(work_order.number))
    order = open_order(ww, source_ref="lifecycle:1", contact_phone="13912345678")
    services.work_order_take(actor=ww.scjg_handler, work_order=order)
    with pytest.raises(ValidationError):
        services.work_order_reply(actor=ww.scjg_handler, work_order=order, reply=" ")
    services.work_order_reply(actor=ww.scjg_handler, work_order=order, reply="已责令下架并立案调查。")
    assert order.state == "replied" and order.sla_state == "stopped"
    msg = Message.objects.get(recipient=ww.citizen, event="workorders.reply")
    assert order.number in msg.title and "下架" in msg.body
    with pytest.raises(PermissionDenied):  # handlers do not call back
        services.work_order_callback(actor=ww.scjg_handler, work_order=order, satisfaction=5)
    with pytest.raises(ValidationError):
        services.work_order_callback(actor=ww.xihu_supervisor, work_order=order, satisfaction=9)
    services.work_order_callback(actor=ww.xihu_supervisor, work_order=order, satisfaction=4, note="满意")
    services.work_order_close(actor=ww.xihu_supervisor, work_order=order)
    order.refresh_from_db()
    assert (order.state, order.satisfaction, order.closed_at is not None) == ("closed", 4, True)
    assert closed == [order.number]
    assert Message.objects.filter(recipient=ww.citizen, event="workorders.close").count() == 1
    services.work_order_reopen(actor=ww.xihu_supervisor, work_order=order, note="群众不认可")
    order.refresh_from_db()
    assert order.state == "in_progress" and order.closed_at is None and order.sla_state == "on_time"
    assert AuditEvent.objects.filter(action__startswith="workorders.work_order.").count() == 7


def test_return_reassign_and_merge(ww):
    order = open_order(ww)
    services.work_order_return(actor=ww.scjg_handler, work_order=order, note="不属于本局职责")
    order.refresh_from_db()
    assert (order.state, order.department, order.org_unit) == ("returned", None, ww.beishan)
    # The Beishan dispatcher (township) may only dispatch to units in its scope.
    with pytest.raises(PermissionDenied):
        services.work_order_assign(actor=ww.beishan_dispatcher, work_order=order, department=ww.xihu_gaj)
    services.work_order_assign(actor=ww.xihu_supervisor, work_order=order, department=ww.xihu_gaj)
    assert order.department == ww.xihu_gaj
    services.work_order_reassign(
        actor=ww.xihu_supervisor,
        work_order=order,
        department=ww.xihu_scjg,
        note="改派市场监管",
    )
    assert (order.state, order.department) == ("assigned", ww.xihu_scjg)
    dup = open_order(ww)
    services.work_order_merge(actor=ww.xihu_supervisor, work_order=dup, master=order)
    dup.refresh_from_db()
    assert (dup.state, dup.merged_into) == ("closed", order)
    assert Message.objects.filter(recipient=ww.citizen, event="workorders.merge").exists()
    with pytest.raises(ValidationError):
        services.work_order_merge(actor=ww.xihu_supervisor, work_order=order, master=order)


def test_stale_version_is_a_conflict(ww):
    order = open_order(ww)
    stale = WorkOrder.objects.get(pk=order.pk)
    services.work_order_take(actor=ww.scjg_handler, work_order=order)
    with pytest.raises(Conflict):
        services.work_order_return(actor=ww.scjg_handler, work_order=stale, note="x")
    assert snapshot(order)[0] == "in_progress"


def test_scope_denials_change_nothing(ww):
    order = open_order(ww)  # Xihu market regulation
    before = snapshot(order)
    audit_before = AuditEvent.objects.count()
    for actor, action, kw in [
        (ww.gaj_handler, "take", {}),  # same county, another department
        (ww.yiwu_handler, "take", {}),  # another county
        (ww.citizen, "take", {}),
        (ww.yiwu_handler, "reply", {"reply": "x"}),
        (ww.scjg_handler, "close", {}),  # handlers do not close
    ]:
        with pytest.raises((PermissionDenied, Conflict)):
            getattr(services, f"work_order_{action}")(
                actor=actor, work_order=WorkOrder.objects.get(pk=order.pk), **kw
            )
    assert snapshot(order) == before
    assert AuditEvent.objects.count() == audit_before
    assert order not in selectors.worklist(ww.gaj_handler)
    assert order not in selectors.worklist(ww.yiwu_handler)
    assert order in selectors.worklist(ww.scjg_handler)
    assert order in selectors.worklist(ww.xihu_supervisor)


def test_citizen_sees_only_their_own(ww, password):
    from zhengtong.accounts.models import UserKind

    other = ww.acc.user_create(actor=None, username="other", password=password, kind=UserKind.CITIZEN)
    mine = open_order(ww)
    theirs = open_order(ww, actor=other, requester=other)
    assert list(selectors.mine(ww.citizen)) == [mine]
    client = login(ww.citizen)
    assert client.get(f"/workorders/mine/{theirs.number}/").status_code == 404
    assert client.get(f"/api/v1/workorders/mine/{theirs.number}").status_code == 404
    body = client.get("/api/v1/workorders/mine").json()
    assert [o["number"] for o in body["items"]] == [mine.number]
    assert client.get("/console/workorders/").status_code == 403
    assert client.get(f"/api/v1/workorders/{mine.number}").status_code in (403, 404)


def test_withdraw_by_requester_only(ww):
    order = open_order(ww, category="0502")
    with pytest.raises(PermissionDenied):
        services.work_order_withdraw(actor=ww.scjg_handler, work_order=order)
    services.work_order_withdraw(actor=ww.citizen, work_order=order)
    assert order.state == "closed"


def test_overdue_escalation_notifies_supervisors(ww):
    from zhengtong.core import sla

    yiwu_supervisor = ww.staff("yiwu_supervisor", "supervisor", ww.yiwu)
    order = open_order(ww, kind="consultation")
    second = open_order(ww, kind="consultation", category="0901")
    report = sla.sla_scan(on=order.sla_deadline + dt.timedelta(days=1))
    assert report["workorders.workorder"]["overdue"] == 2
    order.refresh_from_db()
    assert order.sla_state == "overdue" and order.escalated_at is not None
    message = Message.objects.get(recipient=ww.xihu_supervisor, event="workorders.overdue")
    assert message.title == "2 work orders are overdue"
    assert order.number in message.body and second.number in message.body
    assert not Message.objects.filter(recipient=yiwu_supervisor).exists()
    event = AuditEvent.objects.get(action="workorders.work_order.escalate")
    assert sorted(event.after["numbers"]) == sorted([order.number, second.number])
    # Escalated once: a later scan does not escalate again.
    sla.sla_scan(on=order.sla_deadline + dt.timedelta(days=5))
    assert AuditEvent.objects.filter(action="workorders.work_order.escalate").count() == 1


def test_submit_via_api_and_page(ww):
    client = login(ww.citizen)
    response = client.post(
        "/api/v1/workorders",
        data=json.dumps(
            {
                "kind": "consultation",
                "category": "0701",
                "title": "营业执照怎么办",
                "description": "请问流程",
                "region": "330106002001",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "assigned"
    response = client.post(
        "/api/v1/workorders",
        data=json.dumps(
            {
                "kind": "consultation",
                "category": "nope",
                "title": "t",
                "description": "d",
                "region": "330106002001",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422 and "category" in response.json()["error"]["details"]["fields"]
    page = client.post(
        "/workorders/new/",
        {
            "kind": "help",
            "category": "0502",
            "region": "330106002",
            "title": "楼道灯坏了",
            "description": "三个月没修",
            "contact_phone": "",
        },
    )
    assert page.status_code == 302
    assert WorkOrder.objects.filter(requester=ww.citizen).count() == 2
    assert "楼道灯坏了" in client.get("/workorders/mine/").content.decode()


def test_staff_worklist_page_and_actions(ww):
    order = open_order(ww)
    client = login(ww.scjg_handler)
    page = client.get("/console/workorders/?state=assigned").content.decode()
    assert order.number in page
    detail = client.get(f"/console/workorders/{order.number}/")
    assert detail.status_code == 200
    client.post(f"/console/workorders/{order.number}/", {"action": "take", "version": str(order.version)})
    order.refresh_from_db()
    assert order.state == "in_progress"
    assert login(ww.gaj_handler).get(f"/console/workorders/{order.number}/").status_code == 404


def test_staff_api_worklist_counts_and_actions(ww):
    order = open_order(ww)
    open_order(ww, category="0901")
    client = login(ww.scjg_handler)
    body = client.get("/api/v1/workorders/worklist?state=assigned").json()
    assert [o["number"] for o in body["items"]] == [order.number]
    assert body["counts"]["assigned"] == 1  # only its department's
    detail = client.get(f"/api/v1/workorders/{order.number}").json()
    assert "take" in detail["actions"] and "close" not in detail["actions"]
    assert detail["contact_phone_masked"] == ""

    def act(c, payload):
        return c.post(
            f"/api/v1/workorders/{order.number}/actions",
            data=json.dumps(payload),
            content_type="application/json",
        )

    assert act(client, {"action": "take", "version": order.version}).json()["state"] == "in_progress"
    stale = act(client, {"action": "return", "version": order.version, "note": "x"})
    assert stale.status_code == 409
    bad = act(client, {"action": "reply", "version": order.version + 1, "reply": ""})
    assert bad.status_code == 422
    assert act(client, {"action": "fly", "version": order.version + 1}).status_code == 422
    other = login(ww.yiwu_handler)
    assert act(other, {"action": "reply", "version": order.version + 1, "reply": "x"}).status_code == 404
    v = order.version + 1
    assert snapshot(order)[0:2] == ("in_progress", v)
    ok = act(client, {"action": "reply", "version": v, "reply": "已处理"})
    assert ok.status_code == 200 and ok.json()["reply"] == "已处理"
    timeline_rows = login(ww.citizen).get(f"/api/v1/workorders/{order.number}/timeline").json()
    assert [r["transition"] for r in timeline_rows] == ["create", "assign", "take", "reply"]


def test_categories_are_public_and_routing_rules_need_permission(ww):
    body = Client().get("/api/v1/workorders/categories").json()
    assert {"code": "consultation", "label": "consultation (咨询)", "working_days": 2} in body["kinds"]
    payload = {"category": "0301", "region": "330106", "department_id": ww.xihu_gaj.pk}
    response = login(ww.scjg_handler).post(
        "/api/v1/workorders/routing-rules/all", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 403
    response = login(ww.xihu_supervisor).post(
        "/api/v1/workorders/routing-rules/all", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 200
    assert services.route("0301", ww.village) == ww.xihu_gaj
    bad = {"category": "0301", "region": "330106", "department_id": ww.yiwu_gaj.pk}
    response = login(ww.xihu_supervisor).post(
        "/api/v1/workorders/routing-rules/all", data=json.dumps(bad), content_type="application/json"
    )
    assert response.status_code == 422


def test_citizen_daily_limit(ww, settings):
    from zhengtong.core.errors import RateLimited

    settings.WORKORDERS_MAX_PER_DAY = 2
    open_order(ww)
    open_order(ww)
    with pytest.raises(RateLimited):
        open_order(ww)
    assert WorkOrder.objects.count() == 2
    response = login(ww.citizen).post(
        "/api/v1/workorders",
        data=json.dumps(
            {
                "kind": "consultation",
                "category": "0701",
                "title": "t",
                "description": "d",
                "region": "330106002001",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert (
        86_000 < retry_after <= 86_401 and response.json()["error"]["details"]["retry_after"] == retry_after
    )


def test_one_routing_table_keeps_domains_apart(ww):
    from zhengtong.workorders import selectors
    from zhengtong.workorders.models import RoutingRule

    # A grid rule for any category at the county: grid incidents route by it, work orders do not.
    services.routing_rule_set(
        actor=ww.system, domain="grid", category="", region=ww.xihu, department=ww.xihu_gaj
    )
    grid_rule = services.route_for(domain="grid", category="E0101", region_path=ww.village.path)
    assert (grid_rule.department, grid_rule.target_unit) == (ww.xihu_gaj, None)
    assert services.route_for(domain="workorders", category="0301", region_path=ww.village.path) is None
    assert services.route("0701", ww.village) == ww.xihu_scjg
    # A category rule beats an any-category rule, even at a higher region.
    services.routing_rule_set(
        actor=ww.system, domain="grid", category="E0101", region=ww.beishan, target_unit=ww.beishan
    )
    services.routing_rule_set(
        actor=ww.system, domain="grid", category="E0101", region=ww.xihu, department=ww.xihu_scjg
    )
    rule = services.route_for(domain="grid", category="E0101", region_path=ww.village.path)
    assert (rule.department, rule.target_unit, rule.region) == (None, ww.beishan, ww.beishan)
    # The work-order pages and API list only work-order rules.
    assert [r.category for r in selectors.routing_rules()] == ["0701", "0701", "0901"]
    body = login(ww.xihu_supervisor).get("/api/v1/workorders/routing-rules/all").json()
    assert sorted(r["category"] for r in body) == ["0701", "0701", "0901"]
    assert RoutingRule.objects.filter(domain="grid").count() == 3


def test_grid_routing_rules_need_grid_manage_and_one_target(ww):
    from zhengtong.workorders.models import RoutingRule

    with pytest.raises(PermissionDenied):
        services.routing_rule_set(
            actor=ww.xihu_supervisor, domain="grid", category="", region=ww.xihu, department=ww.xihu_gaj
        )
    with pytest.raises(ValidationError):
        services.routing_rule_set(actor=ww.system, domain="grid", category="", region=ww.xihu)
    with pytest.raises(ValidationError):
        services.routing_rule_set(
            actor=ww.system, domain="workorders", category="0301", region=ww.xihu, target_unit=ww.beishan
        )
    assert RoutingRule.objects.filter(domain="grid").count() == 0
    assert RoutingRule.objects.count() == 3


def test_expired_supervisor_grant_receives_no_escalation(ww):
    from zhengtong.accounts.models import RoleGrant
    from zhengtong.core import sla

    expired = ww.staff("expired_supervisor", "supervisor", ww.xihu)
    RoleGrant.objects.filter(user=expired).update(valid_until=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    order = open_order(ww, kind="consultation")
    sla.sla_scan(on=order.sla_deadline + dt.timedelta(days=1))
    assert not Message.objects.filter(recipient=expired).exists()
    live = Message.objects.get(recipient=ww.xihu_supervisor, event="workorders.overdue")
    assert live.title == "1 work order is overdue" and live.body == order.number
