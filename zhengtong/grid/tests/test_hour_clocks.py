"""core.sla hour clocks, on the one model that runs them (grid incidents)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core import sla
from zhengtong.core.calendar import add_working_days
from zhengtong.core.sla import SlaState
from zhengtong.grid import services
from zhengtong.grid.models import Incident


def act(incident, action, actor, **kw):
    """Take ``action`` through its own service function (incident_register, incident_dispatch, ...)."""
    return getattr(services, f"incident_{action}")(actor=actor, incident=incident, **kw)


def test_an_hour_clock_starts_in_the_insert_from_the_report_time(grid):
    reported = timezone.now() - dt.timedelta(hours=1)
    inc = grid.report(category="E0401", attributes={"severity": "3"}, reported_at=reported)  # 4 hours
    stored = Incident.objects.get(pk=inc.pk)
    assert stored.sla_hours == 4 and stored.sla_working_days is None
    assert stored.sla_due_at == reported + dt.timedelta(hours=4)
    assert stored.sla_due_soon_at == reported + dt.timedelta(hours=3)  # the last quarter
    assert stored.sla_deadline == timezone.localdate(stored.sla_due_at)
    assert stored.sla_state == SlaState.ON_TIME
    assert stored.due_at == stored.sla_due_at  # the name the API and Open311 use


def test_a_day_clock_on_an_hour_model_is_due_at_the_end_of_its_deadline_day(grid):
    inc = grid.report(category="C0401")  # 5 working days
    today = timezone.localdate()
    assert inc.sla_hours is None and inc.sla_working_days == 5
    assert inc.sla_deadline == add_working_days(today, 5)
    assert timezone.localtime(inc.sla_due_at) == timezone.localtime(inc.sla_due_at).replace(
        hour=23, minute=59, second=59, microsecond=0
    )
    assert timezone.localtime(inc.sla_due_soon_at).date() == inc.sla_due_soon_on
    assert timezone.localtime(inc.sla_due_soon_at).time() == dt.time()
    # The scan by the day (on=) and by the instant agree for day clocks.
    report = sla.sla_scan(on=inc.sla_due_soon_on)
    assert report["grid.incident"] == {"overdue": 0, "due_soon": 1}
    report = sla.sla_scan(on=inc.sla_deadline)
    assert report["grid.incident"] == {"overdue": 0, "due_soon": 0}
    report = sla.sla_scan(on=inc.sla_deadline + dt.timedelta(days=1))
    assert report["grid.incident"] == {"overdue": 1, "due_soon": 0}


def test_pause_and_resume_keep_the_seconds_left_of_an_hour_clock(grid):
    inc = grid.report(category="E0401", attributes={"severity": "3"})  # 4 hours
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command)
    inc.refresh_from_db()
    first_due = inc.sla_due_at
    act(inc, "suspend", grid.command, note="等待鉴定")
    inc.refresh_from_db()
    assert inc.sla_state == SlaState.PAUSED
    left = inc.sla_seconds_left
    assert abs(left - 4 * 3600) < 120
    act(inc, "resume", grid.command)
    inc.refresh_from_db()
    assert inc.sla_state == SlaState.ON_TIME and inc.sla_seconds_left is None
    assert abs((inc.sla_due_at - timezone.now()) - dt.timedelta(seconds=left)) < dt.timedelta(minutes=1)
    assert abs(inc.sla_due_at - first_due) < dt.timedelta(minutes=1)  # paused only a moment


def test_a_clock_runs_in_one_unit(grid):
    inc = grid.report(category="C0401")
    with pytest.raises(ValueError):
        sla.sla_start(inc, working_days=5, hours=4)
    with pytest.raises(ValueError):
        sla.sla_start(inc)


def test_a_working_day_model_has_no_hour_clocks(world):
    from zhengtong.workorders.models import WorkOrder

    with pytest.raises(ValueError):
        sla.sla_start(WorkOrder(), hours=4, save=False)


def test_stopped_and_paused_hour_clocks_are_not_scanned(grid):
    stopped = grid.report(category="E0401", attributes={"severity": "3"})
    act(stopped, "reject", grid.command, note="重复")
    paused = grid.report(category="E0401", attributes={"severity": "3"})
    act(paused, "register", grid.command)
    act(paused, "dispatch", grid.command)
    act(paused, "suspend", grid.command, note="等待")
    report = sla.sla_scan(now=timezone.now() + dt.timedelta(hours=10))
    assert report["grid.incident"] == {"overdue": 0, "due_soon": 0}
    states = dict(Incident.objects.filter(pk__in=[stopped.pk, paused.pk]).values_list("pk", "sla_state"))
    assert states == {stopped.pk: SlaState.STOPPED, paused.pk: SlaState.PAUSED}
