"""Effects across modules name the real actor and the module they went through (``via``), never a
superuser: complaints that become incidents, incidents that answer complaints, escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core import sla
from zhengtong.core.models import TimelineEntry
from zhengtong.grid import services
from zhengtong.grid.models import Incident
from zhengtong.workorders import services as wo_services

pytestmark = pytest.mark.django_db


def complain(grid, capture):
    with capture(execute=True):
        return wo_services.work_order_open(
            actor=grid.w.citizen,
            requester=grid.w.citizen,
            kind="complaint",
            category="0501",
            title="路边垃圾无人清理",
            description="垃圾堆了三天了",
            region=grid.cell1.org_unit,
        )


def test_the_incident_of_a_complaint_is_the_citizens_via_workorders(grid, django_capture_on_commit_callbacks):
    order = complain(grid, django_capture_on_commit_callbacks)
    incident = Incident.objects.get(work_order=order.number)
    event = AuditEvent.objects.get(action="grid.incident.create", target_id=str(incident.pk))
    assert (event.actor_id, event.actor_label, event.via) == (
        grid.w.citizen.pk,
        grid.w.citizen.username,
        "workorders",
    )
    entry = TimelineEntry.objects.get(object_type="grid.incident", object_id=str(incident.pk))
    assert (entry.transition, entry.actor_id) == ("create", grid.w.citizen.pk)


def test_closing_the_incident_answers_as_the_closing_staff_via_grid(grid, django_capture_on_commit_callbacks):
    order = complain(grid, django_capture_on_commit_callbacks)
    incident = Incident.objects.get(work_order=order.number)
    services.incident_register(actor=grid.command, incident=incident)
    services.incident_dispatch(actor=grid.command, incident=incident)
    services.incident_dispose(actor=grid.handler, incident=incident, note="已清运")
    services.incident_verify(actor=grid.worker, incident=incident)
    services.incident_close(actor=grid.command, incident=incident, note="已办结")
    events = AuditEvent.objects.filter(target_type="workorders.workorder", target_id=str(order.pk))
    assert [(e.action, e.actor_id, e.via) for e in events.order_by("id")] == [
        ("workorders.work_order.create", grid.w.citizen.pk, ""),
        ("workorders.work_order.assign", grid.command.pk, "grid"),
        ("workorders.work_order.reply", grid.command.pk, "grid"),
    ]
    reply = TimelineEntry.objects.get(
        object_type="workorders.workorder", object_id=str(order.pk), transition="reply"
    )
    assert (reply.actor_id, reply.data["via"]) == (grid.command.pk, "grid")
    assert not events.filter(actor_label="system").exists()


def test_escalation_of_an_overdue_incident_is_the_systems_via_grid(grid):
    inc = grid.report(category="E0401", attributes={"severity": "3"})  # 4 hours
    services.incident_register(actor=grid.command, incident=inc)
    services.incident_dispatch(actor=grid.command, incident=inc)
    sla.sla_scan(now=timezone.now() + dt.timedelta(hours=5))
    inc.refresh_from_db()
    assert (inc.state, inc.escalation_level) == ("registered", 1)
    event = AuditEvent.objects.get(action="grid.incident.escalate", target_id=str(inc.pk))
    assert (event.actor_id, event.actor_label, event.via) == (None, "system", "grid")
    entry = TimelineEntry.objects.get(
        object_type="grid.incident", object_id=str(inc.pk), transition="escalate"
    )
    assert (entry.actor_id, entry.actor_label, entry.data["via"]) == (None, "system", "grid")


def test_escalate_overdue_skips_what_is_no_longer_open(grid):
    inc = grid.report(category="C0401")
    services.incident_register(actor=grid.command, incident=inc)
    services.incident_dispatch(actor=grid.command, incident=inc)
    services.incident_dispose(actor=grid.handler, incident=inc)
    version = Incident.objects.get(pk=inc.pk).version
    assert services.escalate_overdue([inc.pk]) == 0
    assert Incident.objects.get(pk=inc.pk).version == version
    assert not AuditEvent.objects.filter(action="grid.incident.escalate").exists()
