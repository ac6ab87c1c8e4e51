"""Targeted plans seeded from alerts (platform data, credit grade D) and the management pages
of the supervision catalogue, officers and credit lists, with their permission checks."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.errors import Conflict, PermissionDenied
from zhengtong.credit.models import CreditScore, ListEntry
from zhengtong.supervision import services
from zhengtong.supervision.models import InspectionPlan, Officer, SupervisionAlert, SupervisionItem

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def alert(sv):
    from cryptography.hazmat.primitives import serialization

    from zhengtong.core import keys
    from zhengtong.supervision.models import PlatformReport

    pem = (
        keys.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    platform = services.platform_register(
        actor=sv.manager,
        entity=sv.entities[3],
        kind="ride_hailing",
        public_key_pem=pem,
        department=sv.xihu_scjg,
    )
    report = PlatformReport.objects.create(
        platform=platform, report_type="ride_orders", period="2026-10", sha256="0" * 64, row_count=1
    )
    return SupervisionAlert.objects.create(
        platform=platform,
        report=report,
        rule="unlicensed",
        message="3 orders without a licensed driver",
        org_unit=sv.xihu,
    )


def test_plan_seeded_from_a_platform_alert_targets_the_platform(sv, alert):
    plan = services.plan_from_alert(actor=sv.manager, alert=alert, items=[sv.item])
    assert plan.source_ref == f"alert:{alert.pk}" and plan.filters == {"entities": [sv.entities[3].uscc]}
    services.plan_commit(actor=sv.manager, plan=plan)
    services.plan_draw(actor=sv.manager, plan=plan)
    assert [i.entity_id for i in plan.inspections.all()] == [sv.entities[3].pk]
    with pytest.raises(Conflict):
        services.plan_from_alert(actor=sv.manager, alert=alert, items=[sv.item])
    assert InspectionPlan.objects.count() == 1


def test_officer_cannot_seed_a_plan_nothing_changes(sv, alert):
    r = _client(sv.officers[1].user).post(
        "/console/supervision/targeted/", {"source": "alert", "alert": alert.pk, "items": [sv.item.code]}
    )
    assert r.status_code == 302 and InspectionPlan.objects.count() == 0
    alert.refresh_from_db()
    assert alert.plan_id is None


def test_manager_seeds_plans_on_the_page_from_alert_and_credit(sv, alert):
    now = timezone.now()
    for e in sv.entities[:3]:
        CreditScore.objects.create(
            entity=e, score=40, grade="D", factors=[], model_version="t", computed_at=now
        )
    c = _client(sv.manager)
    assert "3 orders without a licensed driver" in c.get("/console/supervision/").content.decode()
    r = c.post(
        "/console/supervision/targeted/", {"source": "alert", "alert": alert.pk, "items": [sv.item.code]}
    )
    plan = InspectionPlan.objects.get(source_ref=f"alert:{alert.pk}")
    assert r.status_code == 302 and r["Location"].endswith(f"/plans/{plan.number}/")
    r = c.post(
        "/console/supervision/targeted/",
        {"source": "credit", "department": sv.xihu_scjg.pk, "items": [sv.item.code]},
    )
    plan = InspectionPlan.objects.get(source_ref="credit:D")
    services.plan_commit(actor=sv.manager, plan=plan)
    plan.refresh_from_db()
    assert plan.population_size == 3 and plan.filters["region_prefix"] == "330106"


def test_items_and_officers_pages_manager_creates_officer_cannot(sv):
    item = {
        "department": sv.xihu_scjg.pk,
        "code": "SCJG-009",
        "name": "特种设备检查",
        "legal_basis": "《特种设备安全法》",
        "checklist": "定期检验\n操作人员持证",
    }
    officer = {
        "department": sv.xihu_scjg.pk,
        "number": "33010699",
        "name": "新执法员",
        "certificate_no": "ZJ999",
        "certificate_valid_to": "2030-01-01",
        "declared_relations": sv.entities[0].uscc,
    }
    outsider = _client(sv.officers[1].user)
    assert outsider.post("/console/supervision/items/", item).status_code == 200
    assert outsider.post("/console/supervision/officers/", officer).status_code == 200
    assert not SupervisionItem.objects.filter(code="SCJG-009").exists()
    assert not Officer.objects.filter(number="33010699").exists()
    c = _client(sv.manager)
    assert c.post("/console/supervision/items/", item).status_code == 302
    assert SupervisionItem.objects.get(code="SCJG-009").checklist == ["定期检验", "操作人员持证"]
    assert c.post("/console/supervision/officers/", officer).status_code == 302
    assert Officer.objects.get(number="33010699").declared_relations == [sv.entities[0].uscc]
    bad = dict(item, code="SCJG-010", checklist="")
    r = c.post("/console/supervision/items/", bad)
    assert r.status_code == 200 and "checklist" in r.context["form"].errors


def test_credit_lists_page_add_and_end_with_permission(sv, world):
    credit_officer = world.staff("hz_credit_t", "credit_officer", world.xihu, world.xihu_scjg)
    data = {
        "action": "add",
        "kind": "black",
        "uscc": sv.entities[5].uscc,
        "department": sv.xihu_scjg.pk,
        "legal_basis": "《失信行为纠正后的信用信息修复管理办法》",
        "reason": "拒不履行行政处罚决定",
        "until": (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
    }
    r = _client(sv.manager).post("/console/credit/lists/", data)
    assert r.status_code == 200 and ListEntry.objects.count() == 0
    c = _client(credit_officer)
    assert c.post("/console/credit/lists/", data).status_code == 302
    entry = ListEntry.objects.get()
    assert entry.kind == "black" and sv.entities[5].name in c.get("/console/credit/lists/").content.decode()
    r = _client(sv.manager).post(
        "/console/credit/lists/", {"action": "remove", "pk": entry.pk, "reason": "x"}
    )
    entry.refresh_from_db()
    assert entry.removed_at is None
    c.post("/console/credit/lists/", {"action": "remove", "pk": entry.pk, "reason": "已履行"})
    entry.refresh_from_db()
    assert entry.removed_at is not None and entry.removal_reason == "已履行"


def test_seeding_needs_the_plan_permission(sv, alert):
    with pytest.raises(PermissionDenied):
        services.plan_from_alert(actor=sv.officers[1].user, alert=alert, items=[sv.item])
    assert InspectionPlan.objects.count() == 0
