import base64
import datetime as dt

import pytest
from django.test import Client

from zhengtong.supervision import services
from zhengtong.supervision.models import Inspection
from zhengtong.supervision.tests.conftest import SIGNED

DATA_URLS = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in SIGNED.items()}

pytestmark = pytest.mark.django_db


def _client(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _drawn(w):
    plan = services.plan_create(
        actor=w.manager,
        department=w.xihu_scjg,
        title="抽查",
        items=[w.item],
        filters={},
        permille={"U": 100},
        inspectors_per_department=1,
    )
    services.plan_commit(actor=w.manager, plan=plan)
    services.plan_draw(actor=w.manager, plan=plan)
    return plan


def test_inspector_records_on_the_phone_page(sv):
    plan = _drawn(sv)
    inspection = plan.inspections.first()
    officer = inspection.inspectors.first()
    c = _client(officer.user)
    page = c.get(f"/console/supervision/inspections/{inspection.pk}/")
    assert page.status_code == 200 and "持有有效许可证" in page.content.decode()
    r = c.post(
        f"/console/supervision/inspections/{inspection.pk}/",
        {
            "version": inspection.version,
            "check0": "yes",
            "check1": "no",
            "note1": "健康证过期",
            "findings": "健康证过期",
            "result": "rectify",
            "entity_signer": "王五",
            **DATA_URLS,
        },
    )
    assert r.status_code == 302
    inspection = Inspection.objects.get(pk=inspection.pk)
    assert inspection.state == "recorded" and inspection.rectification_ref


def test_another_officer_cannot_see_or_record(sv):
    plan = _drawn(sv)
    inspection = plan.inspections.first()
    other = next(o for o in sv.officers if o not in inspection.inspectors.all())
    # enforcement officers hold supervision.view in the county: they may look, not record.
    r = _client(other.user).post(
        f"/console/supervision/inspections/{inspection.pk}/",
        {
            "version": inspection.version,
            "check0": "yes",
            "check1": "yes",
            "result": "pass",
            "entity_signer": "王五",
        },
    )
    assert r.status_code == 200
    assert Inspection.objects.get(pk=inspection.pk).state == "assigned"


def test_public_pages_hide_seed_until_drawn_and_mask_representative(sv):
    plan = services.plan_create(
        actor=sv.manager,
        department=sv.xihu_scjg,
        title="抽查",
        items=[sv.item],
        filters={},
        permille={"U": 100},
    )
    services.plan_commit(actor=sv.manager, plan=plan)
    plan.refresh_from_db()
    c = _client()
    body = c.get(f"/supervision/plans/{plan.number}/").content.decode()
    assert plan.seed_commitment in body and plan.seed not in body
    draw = c.get(f"/api/v1/supervision/public/plans/{plan.number}/draw").json()
    assert draw["seed"] is None
    services.plan_draw(actor=sv.manager, plan=plan)
    body = c.get(f"/supervision/plans/{plan.number}/").content.decode()
    assert plan.seed in body
    entity = sv.entities[0]
    public = c.get(f"/api/v1/supervision/public/entities/{entity.uscc}").json()
    assert (
        public["legal_representative"] == "李*" and public["penalties"] == [] and public["work_orders"] == []
    )
    staff = _client(sv.manager).get(f"/api/v1/supervision/entities/{entity.uscc}").json()
    assert staff["legal_representative"] == "李四"


def test_master_record_outside_scope_is_404(sv, world):
    outsider = world.staff("yiwu_sv", "supervision_manager", world.yiwu, world.yiwu_scjg)
    r = _client(outsider).get(f"/api/v1/supervision/entities/{sv.entities[0].uscc}")
    assert r.status_code == 404


def test_staff_pages_render(sv):
    plan = _drawn(sv)
    case = services.penalty_file(
        actor=sv.manager, department=sv.xihu_scjg, entity=sv.entities[0], facts="无证经营"
    )
    c = _client(sv.manager)
    for url in (
        "/console/supervision/",
        f"/console/supervision/plans/{plan.number}/",
        f"/console/supervision/penalties/{case.pk}/",
        f"/console/supervision/entities/{sv.entities[0].uscc}/",
        "/console/supervision/inspections/",
        "/supervision/plans/",
        f"/credit/entities/{sv.entities[0].uscc}/",
        "/credit/",
    ):
        assert c.get(url).status_code == 200, url
    r = c.post(
        f"/console/supervision/penalties/{case.pk}/", {"action": "investigate", "version": case.version}
    )
    assert r.status_code == 302


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_master_record_query_count_does_not_grow_with_records(sv):
    from zhengtong.credit import services as credit

    entity = sv.entities[0]
    c = _client(sv.manager)
    urls = [f"/api/v1/supervision/entities/{entity.uscc}", f"/console/supervision/entities/{entity.uscc}/"]
    credit.credit_event_record(
        actor=sv.manager,
        via="test",
        entity=entity,
        kind="complaint",
        source_ref="t:0",
        summary="x",
        occurred_on=dt.date(2026, 1, 1),
    )
    services.penalty_file(actor=sv.manager, department=sv.xihu_scjg, entity=entity, facts="一")
    _queries(c, urls[0])  # warm per-process caches
    before = [_queries(c, u) for u in urls]
    for n in range(5):
        services.penalty_file(actor=sv.manager, department=sv.xihu_scjg, entity=entity, facts=f"事实{n}")
        credit.credit_event_record(
            actor=sv.manager,
            via="test",
            entity=entity,
            kind="complaint",
            source_ref=f"t:{n + 1}",
            summary="x",
            occurred_on=dt.date(2026, 1, 1),
        )
    assert [_queries(c, u) for u in urls] == before


def test_manager_creates_joint_plan_on_the_page_officer_cannot(sv, world):
    from zhengtong.supervision.models import InspectionPlan

    data = {
        "title": "联合抽查",
        "department": sv.xihu_scjg.pk,
        "joint": [world.xihu_gaj.pk],
        "items": ["SCJG-001"],
        "region_prefix": "330106",
        "inspectors_per_department": 1,
    }
    r = _client(sv.officers[1].user).post("/console/supervision/", data)
    assert r.status_code == 200 and InspectionPlan.objects.count() == 0
    r = _client(sv.manager).post("/console/supervision/", data)
    plan = InspectionPlan.objects.get()
    assert r.status_code == 302 and list(plan.joint_departments.all()) == [world.xihu_gaj]
