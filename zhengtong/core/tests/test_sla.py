from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core import sla
from zhengtong.core.calendar import add_working_days
from zhengtong.core.sla import SlaState
from zhengtong.registry import services
from zhengtong.registry.models import CorrectionRequest

D = dt.date


def _correction(world) -> CorrectionRequest:
    from zhengtong.registry.services import citizen_verify_real_name

    person = world.person(name="李四")
    citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="李四")
    return services.correction_submit(
        actor=world.citizen, field="address", requested_value="新地址8号", reason="搬家"
    )


@pytest.mark.django_db
def test_submission_starts_the_clock_with_the_configured_working_days(world, settings):
    req = _correction(world)
    today = timezone.localdate()
    assert req.sla_working_days == settings.REGISTRY_CORRECTION_DAYS == 5
    assert req.sla_started_on == today
    assert req.sla_deadline == add_working_days(today, 5)
    assert req.sla_due_soon_on == add_working_days(req.sla_deadline, -settings.SLA_DUE_SOON_DAYS)
    assert req.sla_state == SlaState.ON_TIME


@pytest.mark.django_db
def test_pause_and_resume_keep_the_remaining_working_days(world):
    req = _correction(world)
    sla.sla_start(req, working_days=5, start=D(2025, 9, 29))
    assert req.sla_deadline == D(2025, 10, 13)
    sla.sla_pause(req, on=D(2025, 9, 30))  # 4 working days left: 10-09, 10-10, 10-11, 10-13
    assert req.sla_state == SlaState.PAUSED
    sla.sla_resume(req, on=D(2025, 10, 20))
    assert req.sla_deadline == add_working_days(D(2025, 10, 20), 4) == D(2025, 10, 24)
    assert req.sla_paused_on is None
    sla.sla_stop(req)
    req.refresh_from_db()
    assert req.sla_state == SlaState.STOPPED


@pytest.mark.django_db
def test_scan_moves_clocks_to_due_soon_and_overdue_and_calls_the_hook(world, settings):
    a, b, c = _correction(world), None, None
    b = services.correction_submit(
        actor=world.citizen, field="phone", requested_value="13700001111", reason="换号"
    )
    c = services.correction_submit(
        actor=world.citizen, field="ethnicity", requested_value="畲族", reason="更正"
    )
    start = D(2025, 9, 29)
    for obj in (a, b, c):
        sla.sla_start(obj, working_days=5, start=start)  # deadline 2025-10-13, due soon from 10-10
    sla.sla_stop(c)
    # Started "back then": classified against that day, not against today.
    CorrectionRequest.objects.filter(pk__in=[a.pk, b.pk]).update(sla_state=SlaState.ON_TIME)
    seen: list[int] = []
    sla.CLOCKS.remove("registry.correctionrequest")
    sla.register(CorrectionRequest, on_overdue=seen.extend)
    try:
        report = sla.sla_scan(on=D(2025, 10, 10))
        assert report["registry.correctionrequest"] == {"overdue": 0, "due_soon": 2}
        report = sla.sla_scan(on=D(2025, 10, 14))
        assert report["registry.correctionrequest"] == {"overdue": 2, "due_soon": 0}
        assert sorted(seen) == sorted([a.pk, b.pk])
        states = dict(CorrectionRequest.objects.values_list("pk", "sla_state"))
        assert states == {a.pk: "overdue", b.pk: "overdue", c.pk: "stopped"}
        # A second scan finds nothing new.
        assert sla.sla_scan(on=D(2025, 10, 15))["registry.correctionrequest"] == {"overdue": 0, "due_soon": 0}
    finally:
        sla.CLOCKS.remove("registry.correctionrequest")
        sla.register(CorrectionRequest)


@pytest.mark.django_db
def test_resolving_stops_the_clock(world):
    req = _correction(world)
    services.correction_take(actor=world.xihu_clerk, request=req)
    services.correction_resolve(actor=world.xihu_clerk, request=req, note="已核实")
    req.refresh_from_db()
    assert (req.state, req.sla_state) == ("resolved", "stopped")
    assert req.person.address == "新地址8号"


@pytest.mark.django_db
def test_scan_writes_only_changed_clocks_once_with_their_final_state_and_chunks_the_hook(world):
    """An on-time clock already past its deadline goes straight to overdue (counted once, as
    overdue); due-soon ones past the deadline too; paused and stopped clocks and clocks not yet
    due soon are not written; the hook gets the ids in the registration's chunks."""
    reqs = [_correction(world)] + [
        services.correction_submit(
            actor=world.citizen, field="phone", requested_value=f"1370000{n:04d}", reason="换号"
        )
        for n in range(5)
    ]
    for obj in reqs:
        sla.sla_start(obj, working_days=5, start=D(2025, 9, 29))  # deadline 2025-10-13, due soon from 10-10
    late_on_time, late_due_soon, soon, paused, stopped, calm = reqs
    CorrectionRequest.objects.filter(pk__in=[late_on_time.pk, soon.pk, paused.pk]).update(
        sla_state=SlaState.ON_TIME
    )
    CorrectionRequest.objects.filter(pk=late_due_soon.pk).update(sla_state=SlaState.DUE_SOON)
    CorrectionRequest.objects.filter(pk=paused.pk).update(sla_state=SlaState.PAUSED)
    CorrectionRequest.objects.filter(pk=stopped.pk).update(sla_state=SlaState.STOPPED)
    CorrectionRequest.objects.filter(pk__in=[late_on_time.pk, late_due_soon.pk]).update(
        sla_deadline=D(2025, 10, 9), sla_due_soon_on=D(2025, 10, 8)
    )
    CorrectionRequest.objects.filter(pk=calm.pk).update(
        sla_state=SlaState.ON_TIME, sla_deadline=D(2025, 10, 20), sla_due_soon_on=D(2025, 10, 17)
    )
    calls: list[list[int]] = []
    sla.CLOCKS.remove("registry.correctionrequest")
    sla.register(CorrectionRequest, on_overdue=calls.append, chunk=1)
    try:
        report = sla.sla_scan(on=D(2025, 10, 10))
    finally:
        sla.CLOCKS.remove("registry.correctionrequest")
        sla.register(CorrectionRequest)
    assert report["registry.correctionrequest"] == {"overdue": 2, "due_soon": 1}
    assert sorted(calls) == sorted([[late_on_time.pk], [late_due_soon.pk]])
    states = dict(
        CorrectionRequest.objects.filter(pk__in=[r.pk for r in reqs]).values_list("pk", "sla_state")
    )
    assert states == {
        late_on_time.pk: "overdue",
        late_due_soon.pk: "overdue",
        soon.pk: "due_soon",
        paused.pk: "paused",
        stopped.pk: "stopped",
        calm.pk: "on_time",
    }
