"""Citizens' complaints (12345 work orders) that are grid matters become incidents; closing the
incident answers the work order."""

from __future__ import annotations

import pytest

from zhengtong.grid import complaints, geo, services
from zhengtong.grid.models import Incident
from zhengtong.workorders import services as wo_services
from zhengtong.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def complain(grid, capture, *, region, title="路边垃圾无人清理", description="垃圾堆了三天了", **kw):
    """A citizen files a work order; the opened hooks run on commit (as in production)."""
    citizen = grid.w.citizen
    with capture(execute=True):
        order = wo_services.work_order_open(
            actor=citizen,
            requester=citizen,
            kind=kw.pop("kind", "complaint"),
            category=kw.pop("category", "0501"),
            title=title,
            description=description,
            region=region,
            contact_phone="13912345678",
            **kw,
        )
    return order


def act(incident, action, actor, **kw):
    """Take ``action`` through its own service function (incident_register, incident_dispatch, ...)."""
    return getattr(services, f"incident_{action}")(actor=actor, incident=incident, **kw)


def test_complaint_in_a_grid_becomes_an_incident_in_its_cell(grid, django_capture_on_commit_callbacks):
    order = complain(grid, django_capture_on_commit_callbacks, region=grid.cell1.org_unit)
    incident = Incident.objects.get(work_order=order.number)
    assert incident.source == Incident.Source.COMPLAINT
    assert incident.cell_id == grid.cell1.pk and incident.org_unit_id == grid.cell1.org_unit_id
    assert incident.township_id == grid.w.beishan.pk and incident.state == "reported"
    assert incident.category.code == "E0101"  # urban, no category named: the default
    assert incident.reporter_id == grid.w.citizen.pk and incident.reporter_phone == "13912345678"
    assert order.title in incident.description
    # Once only, however often the hook runs.
    assert complaints.incident_from_work_order(order).pk == incident.pk
    assert Incident.objects.filter(work_order=order.number).count() == 1


def test_cell_named_in_the_text_and_category_named_in_the_text(grid, django_capture_on_commit_callbacks):
    order = complain(
        grid,
        django_capture_on_commit_callbacks,
        region=grid.w.village,
        title="占道经营",
        description="栖霞岭第二网格门口天天有人占道经营,影响通行",
    )
    incident = Incident.objects.get(work_order=order.number)
    assert incident.cell_id == grid.cell2.pk and incident.category.code == "E0501"


def test_required_severity_gets_its_mildest_value(grid, django_capture_on_commit_callbacks):
    order = complain(
        grid,
        django_capture_on_commit_callbacks,
        region=grid.cell1.org_unit,
        category="0901",
        title="燃气安全隐患",
        description="楼道里有燃气味",
    )
    incident = Incident.objects.get(work_order=order.number)
    assert incident.category.code == "E0802" and incident.attributes == {"severity": "1"}


@pytest.mark.parametrize(
    ("region", "category", "kind", "text"),
    [
        ("xihu", "0501", "complaint", "文三路上垃圾无人清理"),  # no cell found for the text
        ("yiwu", "0501", "complaint", "栖霞岭第一网格垃圾无人清理"),  # a cell, but not in its region
        ("grid", "0701", "complaint", "超市卖过期食品"),  # not a grid matter
        ("grid", "0501", "consultation", "垃圾分类怎么分"),  # not a complaint
        ("grid", "0502", "complaint", "物业不作为"),  # housing: only when a category is named
    ],
)
def test_no_incident_and_the_work_order_is_unaffected(
    grid, django_capture_on_commit_callbacks, region, category, kind, text
):
    units = {"xihu": grid.w.xihu, "yiwu": grid.w.yiwu, "grid": grid.cell1.org_unit}
    order = complain(
        grid,
        django_capture_on_commit_callbacks,
        region=units[region],
        category=category,
        kind=kind,
        title=text[:10],
        description=text,
    )
    assert not Incident.objects.exists()
    before = (order.state, order.version)
    order.refresh_from_db()
    assert (order.state, order.version) == before == ("submitted", 0)
    assert order.reply == "" and order.closed_at is None


def test_closing_the_incident_answers_the_work_order(grid, django_capture_on_commit_callbacks):
    order = complain(grid, django_capture_on_commit_callbacks, region=grid.cell1.org_unit)
    assert order.state == "submitted" and order.department_id is None  # no 12345 routing rule
    incident = Incident.objects.get(work_order=order.number)
    act(incident, "register", grid.command)
    act(incident, "dispatch", grid.command)
    assert incident.handling_department == grid.depts["zhzf"]
    act(incident, "dispose", grid.handler, note="已清运")
    order.refresh_from_db()
    assert order.state == "submitted" and order.reply == ""  # not before the incident closes
    act(incident, "verify", grid.worker)
    act(incident, "close", grid.command, note="垃圾已清运完毕")
    order.refresh_from_db()
    assert order.state == "replied" and order.replied_at is not None
    assert order.department_id == grid.depts["zhzf"].pk
    assert f"#{incident.pk}" in order.reply and "垃圾已清运完毕" in order.reply
    # Call-back and closing stay with the hotline; a reopened and re-closed incident does not
    # answer twice.
    act(incident, "reopen", grid.command, note="群众反映仍有垃圾")
    incident.refresh_from_db()
    assert complaints.answer_work_orders(incident) == []


def test_a_closed_work_order_is_left_alone(grid, django_capture_on_commit_callbacks):
    order = complain(grid, django_capture_on_commit_callbacks, region=grid.cell1.org_unit)
    wo_services.work_order_withdraw(actor=grid.w.citizen, work_order=order)
    incident = Incident.objects.get(work_order=order.number)
    for action in ("register", "dispatch"):
        act(incident, action, grid.command)
    act(incident, "dispose", grid.handler, note="已清运")
    act(incident, "verify", grid.worker)
    act(incident, "close", grid.command)  # the incident still closes
    incident.refresh_from_db()
    order.refresh_from_db()
    assert incident.state == "closed" and order.state == "closed" and order.reply == ""


def test_open311_and_complaints_share_the_geocoder(grid):
    lng, lat = geo.geocode("栖霞岭第二网格 路口")
    assert geo.locate(lng, lat).cell_id == grid.cell2.pk
    assert geo.geocode("栖霞岭第二网格", within=grid.w.yiwu) is None
    assert geo.geocode("") is None


def test_without_commit_no_incident(grid):
    """The hook runs after the commit: a rolled-back work order leaves no incident."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        wo_services.work_order_open(
            actor=grid.w.citizen,
            requester=grid.w.citizen,
            kind="complaint",
            category="0501",
            title="垃圾",
            description="垃圾",
            region=grid.cell1.org_unit,
        )
        raise RuntimeError
    assert not WorkOrder.objects.exists() and not Incident.objects.exists()
