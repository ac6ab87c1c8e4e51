import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core import sla
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.models import TimelineEntry
from zhengtong.grid import selectors, services
from zhengtong.grid.models import Category, Incident
from zhengtong.grid.tests.conftest import CELL_1, CELL_2, CELL_Y, inside
from zhengtong.workorders.models import RoutingRule


def act(incident, action, actor, **kw):
    """Take ``action`` through its own service function (incident_register, incident_dispatch, ...)."""
    return getattr(services, f"incident_{action}")(actor=actor, incident=incident, **kw)


def snapshot(incident):
    incident.refresh_from_db()
    return (
        incident.state,
        incident.version,
        incident.handling_department_id,
        incident.sla_state,
        TimelineEntry.objects.filter(object_id=str(incident.pk), object_type="grid.incident").count(),
    )


def test_full_lifecycle(grid):
    inc = grid.report(category="E0302", description="屋顶违法搭建")
    assert (inc.state, inc.source, inc.cell_id, inc.township_id, inc.county_id) == (
        "reported",
        "grid_worker",
        grid.cell1.pk,
        grid.w.beishan.pk,
        grid.w.xihu.pk,
    )
    act(inc, "register", grid.command)
    assert inc.sla_state == "on_time" and inc.sla_working_days == 5 and inc.due_at is not None
    act(inc, "dispatch", grid.command)
    assert inc.handling_department == grid.depts["zhzf"]  # E0302 → law enforcement by category default
    act(inc, "dispose", grid.handler, note="已拆除")
    assert inc.disposed_at is not None
    act(inc, "verify", grid.worker)
    act(inc, "close", grid.command)
    inc.refresh_from_db()
    assert inc.state == "closed" and inc.sla_state == "stopped" and inc.closed_at is not None
    steps = list(
        TimelineEntry.objects.filter(object_type="grid.incident", object_id=str(inc.pk)).values_list(
            "transition", flat=True
        )
    )
    assert steps == ["create", "register", "dispatch", "dispose", "verify", "close"]
    assert AuditEvent.objects.filter(action="grid.incident.close", target_id=str(inc.pk)).count() == 1


def test_grid_worker_cannot_register_and_nothing_changes(grid):
    inc = grid.report()
    before = snapshot(inc)
    with pytest.raises(PermissionDenied):
        act(inc, "register", grid.worker)
    assert snapshot(inc) == before


def test_other_department_cannot_dispose_and_nothing_changes(grid):
    inc = grid.report(category="E0302")
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command)
    before = snapshot(inc)
    with pytest.raises(PermissionDenied):
        act(inc, "dispose", grid.zjj_handler)
    assert snapshot(inc) == before
    assert not selectors.incidents_for(grid.zjj_handler).filter(pk=inc.pk).exists()
    assert selectors.incidents_for(grid.handler).filter(pk=inc.pk).exists()


def test_township_handled_incident_is_not_disposable_by_a_department(grid):
    inc = grid.report()
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command, unit=grid.w.beishan)
    assert inc.handling_department_id is None and inc.handling_unit == grid.w.beishan
    before = snapshot(inc)
    with pytest.raises(PermissionDenied):
        act(inc, "dispose", grid.handler)
    assert snapshot(inc) == before
    act(inc, "dispose", grid.command)
    assert inc.state == "disposed"


def test_scopes_worker_township_county(grid):
    a = grid.report()
    b = grid.report(actor=grid.worker2, cell=CELL_2)
    y = grid.report(actor=grid.yiwu_worker, cell=CELL_Y)
    ids = lambda user: set(selectors.incidents_for(user).values_list("pk", flat=True))  # noqa: E731
    assert ids(grid.worker) == {a.pk}
    assert ids(grid.worker2) == {b.pk}
    assert ids(grid.command) == {a.pk, b.pk}
    assert ids(grid.county_command) == {a.pk, b.pk}
    assert ids(grid.yiwu_command) == {y.pk}
    assert ids(grid.w.citizen) == set()


def test_worker_of_another_cell_cannot_verify_or_report_there(grid):
    inc = grid.report(category="E0302")
    for action, actor in [("register", grid.command), ("dispatch", grid.command), ("dispose", grid.handler)]:
        act(inc, action, actor)
    before = snapshot(inc)
    with pytest.raises(PermissionDenied):
        act(inc, "verify", grid.worker2)
    assert snapshot(inc) == before
    count = Incident.objects.count()
    with pytest.raises(PermissionDenied):
        grid.report(actor=grid.worker2, cell=CELL_1)
    assert Incident.objects.count() == count


def test_other_county_cannot_dispatch(grid):
    inc = grid.report()
    act(inc, "register", grid.command)
    before = snapshot(inc)
    with pytest.raises(PermissionDenied):
        act(inc, "dispatch", grid.yiwu_command)
    assert snapshot(inc) == before


def test_stale_version_is_a_conflict(grid):
    inc = grid.report()
    stale = inc.version
    act(inc, "register", grid.command)
    with pytest.raises(Conflict):
        act(inc, "dispatch", grid.command, expected_version=stale)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"category": "X9999"}, "category"),
        ({"at": (91, 120.0)}, "lat"),
        ({"at": ("abc", 120.0)}, "lat"),
        ({"at": (30.0, 181)}, "lng"),
        ({"at": (10.0, 10.0)}, "location"),
        ({"description": "  "}, "description"),
        ({"category": "E0401"}, "attribute[severity]"),
    ],
)
def test_bad_input_names_the_field(grid, kwargs, field):
    count = Incident.objects.count()
    with pytest.raises(ValidationError) as err:
        grid.report(**kwargs)
    assert field in err.value.fields
    assert Incident.objects.count() == count


def test_attributes_are_checked(grid):
    with pytest.raises(ValidationError) as err:
        grid.report(category="E0401", attributes={"severity": "9"})
    assert "must be one of 1, 2, 3" in err.value.fields["attribute[severity]"][0]
    inc = grid.report(category="E0401", attributes={"severity": "3"})
    assert inc.attributes == {"severity": "3"}


def test_hour_clock_goes_overdue_and_escalates(grid):
    inc = grid.report(category="E0401", attributes={"severity": "3"})  # road collapse: 4 hours
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command)
    assert inc.handling_department == grid.depts["zjj"]
    assert abs((inc.due_at - timezone.now()) - dt.timedelta(hours=4)) < dt.timedelta(minutes=1)
    assert inc.sla_hours == 4 and inc.sla_working_days is None
    report = sla.sla_scan(now=timezone.now() + dt.timedelta(hours=3, minutes=30))
    inc.refresh_from_db()
    assert report["grid.incident"] == {"overdue": 0, "due_soon": 1} and inc.sla_state == "due_soon"
    sla.sla_scan(now=timezone.now() + dt.timedelta(hours=5))
    inc.refresh_from_db()
    # Overdue: escalated one level up (the department's county → the city), clock restarted.
    assert inc.state == "registered" and inc.escalation_level == 1
    assert inc.handling_unit == grid.w.hangzhou and inc.handling_department_id is None
    entry = TimelineEntry.objects.filter(object_id=str(inc.pk), transition="escalate").get()
    assert entry.note == "time limit passed" and entry.actor_label == "system"


def test_suspend_pauses_the_clock_and_resume_moves_the_deadline(grid):
    inc = grid.report(category="C0401")  # street tree, 5 working days
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command)
    act(inc, "suspend", grid.command, note="等待园林部门鉴定")
    inc.refresh_from_db()
    assert inc.state == "suspended" and inc.sla_state == "paused"
    with pytest.raises(Conflict):
        act(inc, "suspend", grid.command, note="again")
    act(inc, "resume", grid.command)
    inc.refresh_from_db()
    assert inc.state == "dispatched" and inc.sla_state in ("on_time", "due_soon")


def test_suspend_needs_a_reason(grid):
    inc = grid.report(category="C0401")
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command)
    with pytest.raises(ValidationError) as err:
        act(inc, "suspend", grid.command)
    assert err.value.fields == {"note": ["a reason is required for this action"]}


def test_return_reassign_and_escalate_beyond_powers(grid):
    inc = grid.report(category="E0302")
    act(inc, "register", grid.command)
    act(inc, "dispatch", grid.command)
    act(inc, "return", grid.handler, note="不属于本部门职责")
    assert inc.state == "registered" and inc.status_notes == "不属于本部门职责"
    act(inc, "dispatch", grid.command, department=grid.depts["zjj"])
    act(inc, "reassign", grid.command, department=grid.depts["zhzf"], note="改派执法局")
    assert inc.handling_department == grid.depts["zhzf"]
    act(inc, "escalate", grid.handler, note="超出街道和部门权限")
    assert inc.state == "registered" and inc.escalation_level == 1 and inc.handling_unit == grid.w.hangzhou


def test_escalation_stops_at_the_configured_level(grid, settings):
    settings.GRID_MAX_ESCALATION = 0
    inc = grid.report()
    act(inc, "register", grid.command)
    before = snapshot(inc)
    with pytest.raises(ValidationError):
        act(inc, "escalate", grid.command, note="x")
    assert snapshot(inc) == before


def test_duplicates_and_merge(grid):
    first = grid.report()
    lat, lng = inside(CELL_1)
    second = grid.report(at=(lat + 0.0002, lng))  # ~22 m away
    far = grid.report(at=(lat + 0.001, lng))  # ~110 m away
    other = grid.report(category="C0201")
    assert [d.pk for d in services.duplicates_for(second)] == [first.pk]
    assert far.pk not in [d.pk for d in services.duplicates_for(first)]
    assert other.pk not in [d.pk for d in services.duplicates_for(first)]
    act(second, "merge", grid.command, merge_into=first)
    second.refresh_from_db()
    assert second.state == "merged" and second.merged_into == first
    with pytest.raises(ValidationError):
        act(far, "merge", grid.command, merge_into=other)


def test_routing_rules_most_specific_wins(grid):
    cat = Category.objects.get(code="E0701")
    inc = grid.report(category="E0701")
    assert services.route(inc)[0] == grid.depts["sfj"]  # the category's default department kind
    services.routing_rule_create(actor=grid.w.system, org_unit=grid.w.xihu, department=grid.depts["zhzf"])
    assert services.route(inc)[0] == grid.depts["zhzf"]  # any category, county
    services.routing_rule_create(
        actor=grid.w.system, org_unit=grid.w.beishan, category=cat, target_unit=grid.w.beishan
    )
    assert services.route(inc) == (None, grid.w.beishan)  # category + township beats any + county
    assert RoutingRule.objects.filter(domain="grid").count() == 2
    assert services.route(grid.report(category="C0201")) == (grid.depts["zhzf"], None)  # any category
    with pytest.raises(ValidationError):
        services.routing_rule_create(actor=grid.w.system, org_unit=grid.w.beishan)


def test_reject_and_reopen(grid):
    inc = grid.report()
    act(inc, "reject", grid.command, note="不属于事件范围")
    assert inc.state == "rejected"
    act(inc, "reopen", grid.command, note="复核后立案")
    assert inc.state == "registered" and inc.sla_state == "on_time"


def test_one_click_dispatch_registers_then_dispatches(grid):
    inc = grid.report(category="C0201")
    services.incident_quick_dispatch(actor=grid.command, incident=inc)
    assert inc.state == "dispatched" and inc.handling_department == grid.depts["zjj"]


def test_patrol_check_in(grid):
    lat, lng = inside(CELL_1)
    patrol = services.patrol_check_in(actor=grid.worker, lat=lat, lng=lng, hazards_found=2)
    assert patrol.cell == grid.cell1 and patrol.hazards_found == 2
    with pytest.raises(PermissionDenied):
        services.patrol_check_in(actor=grid.worker2, lat=lat, lng=lng)
    with pytest.raises(ValidationError):
        services.patrol_check_in(actor=grid.worker, lat=0, lng=0)


def test_statistics_refresh(grid):
    inc = grid.report(category="C0201")
    for action, actor in [
        ("register", grid.command),
        ("dispatch", grid.command),
        ("dispose", grid.zjj_handler),
        ("verify", grid.worker),
        ("close", grid.command),
    ]:
        act(inc, action, actor)
    grid.report(category="C0201")
    assert services.incident_stats_refresh() == 1
    from zhengtong.grid.models import IncidentStat

    row = IncidentStat.objects.get()
    assert (row.township_code, row.category_code, row.reported, row.closed, row.open) == (
        "330106002",
        "C0201",
        2,
        1,
        1,
    )
    assert row.avg_close_hours == 0.0


def test_statistics_are_published_to_the_catalogue(grid):
    from zhengtong.catalog.models import DataResource

    grid.w.acc.department_create(
        actor=grid.w.system, org_unit=grid.w.province, code="dsj", name="浙江省大数据发展管理局"
    )
    grid.report(category="C0201")
    services.incident_stats_refresh()
    resource = DataResource.objects.get(name="grid-incident-statistics")
    assert resource.state == "draft" and resource.update_frequency == "daily"
    assert resource.current_version is not None and resource.current_version.row_count == 1
    # Published by the platform's scheduled work, recorded as such: no actor, via grid.
    from zhengtong.audit.models import AuditEvent

    created = AuditEvent.objects.get(action="catalog.resource.create", target_id=str(resource.pk))
    assert (created.actor_id, created.actor_label, created.via) == (None, "system", "grid")


def test_clock_starts_at_the_report(grid):
    day = grid.report(category="C0401")  # 5 working days
    assert day.sla_state == "on_time" and day.sla_working_days == 5
    assert timezone.localtime(day.due_at).date() == day.sla_deadline
    hour = grid.report(category="E0101")  # 24 hours
    assert hour.sla_state == "on_time"
    assert abs((hour.due_at - hour.reported_at) - dt.timedelta(hours=24)) < dt.timedelta(seconds=1)
