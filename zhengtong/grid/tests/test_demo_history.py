"""The grid demo's histories are consistent in time (issue 15): each incident's timeline starts
when it was reported, nothing happens in the future, an open incident past its time limit was
escalated when it became overdue, and "due soon" means due soon now."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from zhengtong.core import clock
from zhengtong.core.models import TimelineEntry
from zhengtong.grid.models import Incident

pytestmark = pytest.mark.django_db

OPEN = ("registered", "dispatched")


def test_seeded_incident_histories_are_consistent(world, tmp_path):
    from zhengtong.grid import demo

    settings.VAR_DIR = tmp_path
    demo.seed()
    now = timezone.now()
    incidents = list(Incident.objects.filter(merged_into__isnull=True))
    assert len(incidents) >= 300
    timeline = {}
    for entry in TimelineEntry.objects.filter(object_type="grid.incident").order_by("at", "id"):
        timeline.setdefault(int(entry.object_id), []).append(entry)
    old = [i for i in incidents if i.reported_at < now - dt.timedelta(days=30)]
    assert len(old) >= 100
    for incident in incidents:
        entries = timeline.get(incident.pk, [])
        for entry in entries:
            assert incident.reported_at - dt.timedelta(seconds=1) <= entry.at <= now, incident.pk
        if entries and incident.reported_at < now - dt.timedelta(days=2):
            # no June incident whose timeline starts on the day the demo was loaded
            assert entries[0].at - incident.reported_at < dt.timedelta(days=1), incident.pk
        if incident.disposed_at:
            assert incident.reported_at <= incident.disposed_at <= now
        if incident.closed_at:
            assert incident.disposed_at <= incident.closed_at <= now
        if incident.sla_state == "due_soon":
            assert incident.sla_due_at >= now, incident.pk  # not "due soon" on an old item
        if incident.sla_state == "on_time" and incident.sla_due_at:
            assert incident.sla_due_at > now, incident.pk
        if incident.state in OPEN and incident.sla_due_at and incident.sla_due_at < now:
            assert incident.sla_state == "overdue", incident.pk
        if incident.state in OPEN and incident.sla_state == "overdue":
            # overdue incidents escalate (up to the highest level), at the time they fell due
            assert incident.escalation_level >= 1, incident.pk
            escalations = [e for e in entries if e.transition == "escalate"]
            assert escalations and escalations[0].at < now - dt.timedelta(hours=1), incident.pk
    assert any(i.escalation_level >= 1 for i in incidents)


def test_as_of_refuses_the_future_and_restores_the_clock():
    real = timezone.now()
    with clock.as_of(real - dt.timedelta(days=100)) as at:
        assert timezone.now() == at
    assert timezone.now() >= real
    with pytest.raises(ValueError), clock.as_of(real + dt.timedelta(days=1)):
        pass
