"""Trusted internal entry points of work orders: effects of someone's action in this or another
module name that person as the actor and the module as ``via``, never a superuser."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied
from zhengtong.core.models import TimelineEntry
from zhengtong.workorders import actions, services
from zhengtong.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def _open(ww, **kw):
    return services.work_order_open(
        actor=ww.citizen,
        requester=ww.citizen,
        kind="complaint",
        category=kw.pop("category", "0701"),
        title="超市出售过期食品",
        description="北山街道某超市出售过期牛奶",
        region=ww.village,
        **kw,
    )


def events(order):
    return [
        (e.action, e.actor_id, e.via)
        for e in AuditEvent.objects.filter(
            target_type="workorders.workorder", target_id=str(order.pk)
        ).order_by("id")
    ]


def test_assignment_by_rule_is_the_openers_via_workorders(ww):
    order = _open(ww)
    assert (order.state, order.department) == ("assigned", ww.xihu_scjg)
    assert events(order) == [
        ("workorders.work_order.create", ww.citizen.pk, ""),
        ("workorders.work_order.assign", ww.citizen.pk, "workorders"),
    ]
    entry = TimelineEntry.objects.get(
        object_type="workorders.workorder", object_id=str(order.pk), transition="assign"
    )
    assert (entry.actor_id, entry.note, entry.data) == (
        ww.citizen.pk,
        "routed by rule",
        {"via": "workorders"},
    )


def test_open_on_behalf_names_the_requester_and_the_module(ww):
    order = services.work_order_open_on_behalf(
        requester=ww.citizen,
        via="services",
        kind="rectification",
        category="1101",
        title="差评整改",
        description="评价 1 星",
        region=ww.xihu,
        department=ww.xihu_gaj,
        source_ref="rating:7",
        due_working_days=5,
    )
    assert (order.state, order.department, order.requester, order.created_by) == (
        "assigned",
        ww.xihu_gaj,
        ww.citizen,
        ww.citizen,
    )
    assert events(order) == [
        ("workorders.work_order.create", ww.citizen.pk, "services"),
        ("workorders.work_order.assign", ww.citizen.pk, "services"),
    ]


def test_a_citizen_cannot_open_a_rectification_themselves(ww):
    before = WorkOrder.objects.count()
    with pytest.raises(PermissionDenied):
        services.work_order_open(
            actor=ww.citizen,
            requester=ww.citizen,
            kind="rectification",
            category="1101",
            title="差评整改",
            description="评价 1 星",
            region=ww.xihu,
        )
    assert WorkOrder.objects.count() == before


def test_answer_assigns_and_replies_as_the_actor_via_the_module(ww):
    order = _open(ww, category="0502")  # no rule: waits for dispatch
    assert order.state == "submitted"
    services.work_order_answer(
        actor=ww.beishan_dispatcher, via="grid", work_order=order, reply="已处理", department=ww.xihu_scjg
    )
    order.refresh_from_db()
    assert (order.state, order.reply, order.department) == ("replied", "已处理", ww.xihu_scjg)
    assert events(order) == [
        ("workorders.work_order.create", ww.citizen.pk, ""),
        ("workorders.work_order.assign", ww.beishan_dispatcher.pk, "grid"),
        ("workorders.work_order.reply", ww.beishan_dispatcher.pk, "grid"),
    ]


def test_answer_refuses_a_closed_work_order_and_changes_nothing(ww):
    order = _open(ww)
    services.work_order_withdraw(actor=ww.citizen, work_order=order)
    order.refresh_from_db()
    before = (order.state, order.version, order.reply)
    count = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.work_order_answer(actor=ww.beishan_dispatcher, via="grid", work_order=order, reply="x")
    order.refresh_from_db()
    assert (order.state, order.version, order.reply) == before == ("closed", 2, "")
    assert AuditEvent.objects.count() == count


def test_the_http_edge_passes_each_transition_only_its_own_arguments(ww):
    order = _open(ww)
    actions.work_order_action(
        actor=ww.scjg_handler, work_order=order, action="take", reply="ignored", satisfaction=3, master=None
    )
    actions.work_order_action(
        actor=ww.scjg_handler, work_order=order, action="reply", reply="已下架", department=None
    )
    order.refresh_from_db()
    assert (order.state, order.reply, order.satisfaction) == ("replied", "已下架", None)
