"""Cases (办件): auto-fill, validation, the workflow with fees, correction, review chains,
e-licence issue, time limits and escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.accounts.models import User
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.registry import services as registry
from zhengtong.services import services
from zhengtong.services.models import Case
from zhengtong.services.tests.conftest import pay_bill

pytestmark = pytest.mark.django_db


def submit_shop(svc, user=None, **extra):
    raw = {"shop_name": "张记小吃", "premises": "西湖区文三路18号", **extra}
    return services.case_submit(actor=user or svc.citizen, item=svc.items["ZJ-SCJG-004"], raw=raw)


def test_autofill_from_registry_and_e_licence(svc):
    case = submit_shop(svc, applicant_name="冒名顶替")
    assert case.state == "submitted"
    # Registry values win over what was posted, and the case says where they came from.
    assert case.data["applicant_name"] == "张三"
    assert case.data["resident_id"] == svc.person.resident_id
    assert case.sources["applicant_name"] == "person.name"
    # 一证通办: the ID card is an e-licence, the household record is in the population registry.
    assert case.materials["id_card"]["by"] == "licence"
    assert case.materials["hukou"]["by"] == "population"
    assert case.applicant_person == svc.person
    assert case.sla_state in ("on_time", "due_soon") and case.sla_deadline is not None
    assert case.item_version == svc.items["ZJ-SCJG-004"].current_version


def test_field_errors_name_the_field_and_rule(svc):
    with pytest.raises(ValidationError) as exc:
        services.case_submit(
            actor=svc.citizen,
            item=svc.items["ZJ-SCJG-001"],
            raw={"category": "X", "work_years": "many"},
        )
    fields = exc.value.fields
    assert fields["training_org"] == ["is required"]
    assert fields["category"] == ["choose one of the options"]
    assert fields["work_years"] == ["must be a whole number"]
    assert not Case.objects.exists()


def test_unverified_citizen_must_upload_what_government_does_not_hold(svc, world):
    unverified = world.acc.user_create(
        actor=None, username="unverified", password="Test-pass-2025!", kind="citizen"
    )
    with pytest.raises(ValidationError) as exc:
        services.case_submit(
            actor=unverified, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "x", "premises": "y"}
        )
    assert "material_id_card" in exc.value.fields
    assert "applicant_name" in exc.value.fields


def test_case_keeps_its_version(svc, world):
    case = submit_shop(svc)
    item = svc.items["ZJ-SCJG-004"]
    v1 = item.current_version
    from zhengtong.services import demo

    services.item_publish(
        actor=world.system,
        code=item.code,
        name=item.name,
        kind=item.kind,
        department=item.department,
        materials=[],
        form_schema=demo.schema({"shop_name": demo._f("字号", "Name")}, ["shop_name"]),
        statutory_days=15,
        promised_days=2,
        review_steps=demo.SINGLE,
    )
    item.refresh_from_db()
    assert item.current_version.number == v1.number + 1
    case.refresh_from_db()
    assert case.item_version == v1


def test_full_flow_with_fee_correction_and_e_licence(svc):
    from zhengtong.payments.services import bill_for
    from zhengtong.registry.models import Licence

    case = services.case_submit(
        actor=svc.citizen,
        item=svc.items["ZJ-SCJG-001"],
        raw={"category": "N1", "training_org": "杭州培训中心", "work_years": "3"},
    )
    bill = bill_for(f"case:{case.pk}")
    assert bill is not None and bill.total_fen == 5000 and bill.state == "unpaid"
    # Unpaid: the case does not move on.
    with pytest.raises(ValidationError):
        services.case_accept(actor=svc.counter, case=case)
    case.refresh_from_db()
    assert case.state == "submitted" and case.paid_at is None
    pay_bill(bill, svc.citizen)
    case.refresh_from_db()
    assert case.paid_at is not None
    # A replayed confirmation does not record a second payment step.
    services.on_case_paid(bill)
    from zhengtong.core.workflow import timeline

    assert [e.transition for e in timeline(case)].count("pay") == 1
    services.case_accept(actor=svc.counter, case=case)
    # 补正: every item at once; the clock pauses and resumes with the days it had left.
    with pytest.raises(ValidationError):
        services.case_send_back(actor=svc.reviewer, case=case, note="缺材料", items=[])
    services.case_send_back(
        actor=svc.reviewer,
        case=case,
        note="请补正",
        items=["培训机构名称不全", "从业年限有误"],
    )
    case.refresh_from_db()
    assert case.state == "correction_requested" and case.sla_state == "paused"
    assert case.correction_items == ["培训机构名称不全", "从业年限有误"]
    services.case_resubmit(
        actor=svc.citizen,
        case=case,
        raw={"training_org": "杭州市特种设备培训中心", "work_years": "5"},
        expected_version=case.version,
    )
    case.refresh_from_db()
    assert case.state == "submitted" and case.sla_state in ("on_time", "due_soon")
    assert case.data["work_years"] == 5
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case, note="同意")
    case.refresh_from_db()
    assert case.state == "completed" and case.sla_state == "stopped"
    licence = Licence.objects.get(number=case.number)
    assert licence.holder_person == svc.person
    assert licence.licence_type.code == "special_equipment_operator"
    assert case.licence == licence
    # The applicant was told about each state change that matters to them.
    from zhengtong.notify.models import Message

    events = set(Message.objects.filter(recipient=svc.citizen).values_list("event", flat=True))
    assert {
        "services.case.submitted",
        "services.case.accept",
        "services.case.send_back",
        "services.case.complete",
    } <= events


def test_refuse_needs_a_reason_and_stops_the_clock(svc):
    case = submit_shop(svc)
    with pytest.raises(ValidationError):
        services.case_refuse(actor=svc.counter, case=case, note="")
    services.case_refuse(actor=svc.counter, case=case, note="不属于本部门职权范围")
    case.refresh_from_db()
    assert case.state == "refused" and case.sla_state == "stopped" and case.decision_note


def test_joint_sign_off_all(svc):
    from zhengtong.registry.models import Licence

    case = services.case_submit(
        actor=svc.agent,
        item=svc.items["ZJ-SCJG-002"],
        raw={"premises": "西湖区文三路200号", "food_categories": "热食类", "area_sqm": "80"},
        files={"material_layout": _upload()},
    )
    assert case.materials["entity"]["by"] == "legal_entity"
    assert case.materials["business_licence"]["by"] == "licence"
    assert case.materials["layout"]["by"] == "upload"
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    case.refresh_from_db()
    assert case.step_index == 1 and case.current_step["mode"] == "all"
    services.case_approve(actor=svc.reviewer2, case=case)
    case.refresh_from_db()
    assert case.state == "accepted"
    with pytest.raises(Conflict):
        services.case_approve(actor=svc.reviewer2, case=case)
    services.case_approve(actor=svc.reviewer3, case=case)
    case.refresh_from_db()
    assert case.state == "completed"
    assert Licence.objects.get(number=case.number).holder_entity == svc.entity


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("plan.pdf", b"%PDF-1.4 test", content_type="application/pdf")


@pytest.mark.parametrize(
    "step,approvals,rejections,expected",
    [
        ({"mode": "single"}, 1, 0, "approved"),
        ({"mode": "all", "signers": 3}, 2, 0, "open"),
        ({"mode": "all", "signers": 3}, 2, 1, "rejected"),
        ({"mode": "any", "signers": 3}, 1, 2, "approved"),
        ({"mode": "any", "signers": 3}, 0, 3, "rejected"),
        ({"mode": "quorum", "signers": 3, "quorum": 0.7}, 2, 0, "open"),
        ({"mode": "quorum", "signers": 3, "quorum": 0.7}, 3, 0, "approved"),
        ({"mode": "quorum", "signers": 4, "quorum": 0.7}, 3, 1, "approved"),
        ({"mode": "quorum", "signers": 4, "quorum": 0.7}, 1, 2, "rejected"),
    ],
)
def test_step_outcomes(step, approvals, rejections, expected):
    assert services.step_outcome(step, approvals, rejections) == expected


def test_stale_version_is_a_conflict_and_changes_nothing(svc):
    case = submit_shop(svc)
    services.case_accept(actor=svc.counter, case=case, expected_version=case.version)
    stale = Case.objects.get(pk=case.pk)
    stale.version -= 1
    with pytest.raises(Conflict):
        services.case_approve(actor=svc.reviewer, case=stale, expected_version=stale.version)
    case.refresh_from_db()
    assert case.state == "accepted" and not case.opinions.exists()


@pytest.fixture
def only_cases_scanned(monkeypatch):
    """Scan this module's clocks only (other modules' tables may not exist in this test run)."""
    from zhengtong.core import sla

    case_clock = sla.CLOCKS.get("services.case")
    assert case_clock.on_overdue is services.on_overdue and case_clock.overdue_stamp == "escalated_at"
    monkeypatch.setattr(sla.CLOCKS, "items", lambda: [case_clock])


def test_overdue_scan_escalates_to_the_supervisor(svc, only_cases_scanned):
    from zhengtong.core import sla
    from zhengtong.notify.models import Message

    case = submit_shop(svc)
    services.case_accept(actor=svc.counter, case=case)
    past = dt.date.today() - dt.timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(sla_deadline=past, sla_due_soon_on=past, sla_state="on_time")
    report = sla.sla_scan()
    case.refresh_from_db()
    assert report["services.case"]["overdue"] == 1
    assert case.sla_state == "overdue" and case.escalated_at is not None
    assert Message.objects.filter(recipient=svc.supervisor, event="services.case.overdue").count() == 1
    assert AuditEvent.objects.filter(action="services.case.escalate").count() == 1
    sla.sla_scan()  # nothing newly overdue: no second escalation
    assert Message.objects.filter(recipient=svc.supervisor, event="services.case.overdue").count() == 1


def test_withdraw_by_applicant_only(svc):
    case = submit_shop(svc)
    with pytest.raises(PermissionDenied):
        services.case_withdraw(actor=svc.other_citizen, case=case)
    services.case_withdraw(actor=svc.citizen, case=case)
    case.refresh_from_db()
    assert case.state == "withdrawn"


def test_draft_saved_and_restored(svc):
    services.draft_save(actor=svc.citizen, key="item:ZJ-SCJG-004", data={"shop_name": "半成品"})
    assert services.draft_get(svc.citizen, "item:ZJ-SCJG-004") == {"shop_name": "半成品"}
    submit_shop(svc)
    assert services.draft_get(svc.citizen, "item:ZJ-SCJG-004") == {}


def test_not_found_for_unpublished(svc):
    from zhengtong.services import selectors

    with pytest.raises(NotFound):
        selectors.item_get("NOPE")


def test_overdue_scan_skips_an_expired_supervisor_grant(svc, only_cases_scanned):
    from zhengtong.accounts.models import RoleGrant
    from zhengtong.core import sla
    from zhengtong.notify.models import Message

    expired = svc.world.staff("expired_sup", "supervisor", svc.world.xihu)
    RoleGrant.objects.filter(user=expired).update(valid_until=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    case = submit_shop(svc)
    services.case_accept(actor=svc.counter, case=case)
    past = dt.date.today() - dt.timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(sla_deadline=past, sla_due_soon_on=past, sla_state="on_time")
    sla.sla_scan()
    assert not Message.objects.filter(recipient=expired).exists()
    assert Message.objects.filter(recipient=svc.supervisor, event="services.case.overdue").count() == 1
    event = AuditEvent.objects.get(action="services.case.escalate")
    assert event.after["supervisors"] == [svc.supervisor.username]


# --- Acting for a legal entity needs a live authorisation (issue 17 item 2) -----------------


def _change_licence(svc, user=None):
    return services.case_submit(
        actor=user or svc.agent,
        item=svc.items["ZJ-SCJG-005"],
        raw={"change_item": "住所", "new_value": "西湖区天目山路300号"},
    )


def test_authorised_agent_files_for_the_entity(svc):
    case = _change_licence(svc)
    assert case.state == "submitted"
    assert case.data["uscc"] == svc.entity.uscc


def test_agent_without_live_authorisation_is_refused_and_nothing_is_written(svc):
    registry.entity_authorization_revoke(actor=svc.citizen, authorization=svc.authorization)
    cases, events = Case.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        _change_licence(svc)
    assert (Case.objects.count(), AuditEvent.objects.count()) == (cases, events)


def test_authorisation_scope_limits_the_items_an_agent_files(svc):
    registry.entity_authorization_revoke(actor=svc.citizen, authorization=svc.authorization)
    registry.entity_authorize(
        actor=svc.citizen,
        entity=svc.entity,
        grantee=svc.agent,
        scope=["ZJ-SCJG-002"],
        valid_until=timezone.now() + dt.timedelta(days=1),
    )
    with pytest.raises(PermissionDenied):
        _change_licence(svc)
    assert not Case.objects.filter(item=svc.items["ZJ-SCJG-005"]).exists()


def test_unverified_enterprise_account_linked_by_hand_is_refused(svc, world):
    """The attack of the issue: an enterprise account with a USCC typed into its record."""
    intruder = world.acc.user_create(
        actor=None, username="intruder", password="Test-pass-2025!", kind="enterprise"
    )
    User.objects.filter(pk=intruder.pk).update(uscc=svc.entity.uscc)
    intruder.refresh_from_db()
    with pytest.raises(PermissionDenied):
        _change_licence(svc, intruder)
    assert not Case.objects.filter(applicant=intruder).exists()


def test_api_refuses_an_unauthorised_agent_with_403(svc, client):
    registry.entity_authorization_revoke(actor=svc.citizen, authorization=svc.authorization)
    client.force_login(svc.agent)
    item = svc.items["ZJ-SCJG-005"]
    r = client.post(
        f"/api/v1/services/{item.pk}/applications",
        {"data": {"change_item": "住所", "new_value": "西湖区天目山路300号"}},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "permission_denied"
    assert not Case.objects.filter(applicant=svc.agent).exists()
