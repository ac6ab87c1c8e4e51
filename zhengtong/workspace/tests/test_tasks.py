"""Tasks and 督办: assignment to units, deadlines on working days, progress, escalation through
holders_of, the supervision view with a constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.core.sla import sla_scan
from zhengtong.notify.models import Message as InboxMessage
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import Task


def two_department_task(ws, days=3):
    return services.task_assign(
        actor=ws.leader,
        title="开展食品安全专项检查",
        description="两部门联合检查辖区超市",
        due_working_days=days,
        departments=[ws.xihu_scjg, ws.xihu_gaj],
    )


def test_assign_to_two_departments_makes_subtasks_with_working_day_deadlines(ws):
    main = two_department_task(ws)
    subs = list(main.subtasks.order_by("id"))
    assert [s.assignee_department for s in subs] == [ws.xihu_scjg, ws.xihu_gaj]
    for task in (main, *subs):
        assert task.sla_deadline == add_working_days(task.sla_started_on, 3)
        assert task.state == "assigned"
    # each department's head is told
    told = set(
        InboxMessage.objects.filter(event="workspace.task").values_list("recipient__username", flat=True)
    )
    assert {"scjg_head", "gaj_head"} <= told
    mine = [t.pk for t in selectors.tasks_for(ws.scjg_clerk)]
    assert subs[0].pk in mine and subs[1].pk not in mine


def test_assign_needs_permission_and_scope(ws):
    count = Task.objects.count()
    with pytest.raises(PermissionDenied):
        services.task_assign(actor=ws.scjg_clerk, title="x", due_working_days=2, assignee=ws.gaj_clerk)
    with pytest.raises(ValidationError):
        services.task_assign(actor=ws.leader, title="x", due_working_days=2, assignee=ws.yiwu_staff)
    with pytest.raises(ValidationError):
        services.task_assign(actor=ws.leader, title="x", due_working_days=0, assignee=ws.gaj_clerk)
    assert Task.objects.count() == count


def test_lifecycle_progress_subtask_and_parent_closing(ws):
    main = two_department_task(ws)
    scjg, gaj = main.subtasks.order_by("id")
    services.task_start(actor=ws.scjg_clerk, task=scjg)
    services.task_report_progress(actor=ws.scjg_clerk, task=scjg, text_="已检查10家", percent=40)
    scjg.refresh_from_db()
    assert (scjg.state, scjg.progress) == ("in_progress", 40)
    sub = services.task_assign(
        actor=ws.scjg_clerk, title="复查", due_working_days=1, assignee=ws.scjg_head, parent=scjg
    )
    with pytest.raises(ValidationError):
        services.task_complete(actor=ws.scjg_clerk, task=scjg)
    services.task_complete(actor=ws.scjg_head, task=sub)
    services.task_accept(actor=ws.scjg_clerk, task=sub)
    services.task_complete(actor=ws.scjg_clerk, task=scjg)
    with pytest.raises(PermissionDenied):
        services.task_accept(actor=ws.gaj_clerk, task=scjg)
    services.task_accept(actor=ws.leader, task=scjg)
    main.refresh_from_db()
    assert main.state == "assigned"
    services.task_complete(actor=ws.gaj_clerk, task=gaj)
    services.task_accept(actor=ws.leader, task=gaj)
    main.refresh_from_db()
    assert main.state == "closed" and main.sla_state == "stopped"


def test_overdue_task_escalates_and_joins_the_supervision_view(ws):
    main = two_department_task(ws, days=2)
    scjg, gaj = main.subtasks.order_by("id")
    services.task_complete(actor=ws.gaj_clerk, task=gaj)  # clock paused: not overdue
    late_day = add_working_days(scjg.sla_deadline, 1)
    sla_scan(on=late_day)
    scjg.refresh_from_db()
    gaj.refresh_from_db()
    assert scjg.sla_state == "overdue" and scjg.escalated_at is not None
    assert gaj.sla_state != "overdue"
    told = InboxMessage.objects.filter(event="workspace.task_overdue")
    assert ws.leader.pk in set(told.values_list("recipient_id", flat=True))
    view = selectors.supervision_view(ws.leader)
    overdue_ids = {t.pk for t in view["overdue_tasks"]}
    assert scjg.pk in overdue_ids and gaj.pk not in overdue_ids
    assert view["totals"]["overdue"] >= 2  # the sub-task and the parent
    # someone without 督办 over Xihu sees none of it
    assert not selectors.supervision_view(ws.beishan_head)["overdue_tasks"]


def test_supervision_view_query_count_is_constant(ws):
    two_department_task(ws)
    sla_scan(on=dt.date.today() + dt.timedelta(days=60))
    with CaptureQueriesContext(connection) as few:
        selectors.supervision_view(ws.leader)
    for i in range(5):
        services.task_assign(
            actor=ws.leader, title=f"任务{i}", due_working_days=1, departments=[ws.xihu_scjg, ws.xihu_gaj]
        )
    sla_scan(on=dt.date.today() + dt.timedelta(days=60))
    with CaptureQueriesContext(connection) as many:
        view = selectors.supervision_view(ws.leader)
    assert len(view["overdue_tasks"]) >= 10
    assert len(many) == len(few)
    client = Client()
    client.force_login(ws.leader, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("workspace:supervision"))
    assert page.status_code == 200 and "任务4" in page.content.decode()


def test_due_soon_tells_the_department_once(ws):
    task = services.task_assign(
        actor=ws.leader, title="报送材料", due_working_days=5, departments=[ws.xihu_scjg]
    )
    sla_scan(on=task.sla_due_soon_on)
    task.refresh_from_db()
    assert task.sla_state == "due_soon"
    assert services.notify_due_soon() == 1
    told = InboxMessage.objects.filter(event="workspace.task_due_soon")
    assert set(told.values_list("recipient__username", flat=True)) == {"scjg_head"}
    assert services.notify_due_soon() == 0
