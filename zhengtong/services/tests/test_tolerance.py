"""容缺受理 (issue 19 item 3): a tolerable material may be owed at acceptance with a deadline no
later than the promised limit, in one notice; the case cannot be approved before it arrives, the
deadline ends it, and an enterprise with a bad credit flag is excluded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.core.workflow import timeline
from zhengtong.credit import services as credit
from zhengtong.notify.models import Message
from zhengtong.services import services
from zhengtong.services.actions import case_action_run
from zhengtong.services.models import Case

pytestmark = pytest.mark.django_db

RAW = {"premises": "西湖区文三路18号", "food_categories": "热食类", "area_sqm": "60"}


def _submit(svc, files=None):
    return services.case_submit(actor=svc.agent, item=svc.items["ZJ-SCJG-002"], raw=RAW, files=files)


def _plan():
    return SimpleUploadedFile("plan.pdf", b"%PDF-1.4 floor plan", content_type="application/pdf")


def test_tolerable_material_is_owed_not_an_error(svc):
    case = _submit(svc)
    assert case.materials["layout"] == {"by": "", "owed": True}
    assert [m["code"] for m in services.owed_of(case)] == ["layout"]
    # A required material that is not tolerable still blocks submission.
    strict = services.item_publish(
        actor=svc.world.system,
        code="T-STRICT-001",
        name="不可容缺事项",
        kind="licensing",
        department=svc.world.xihu_scjg,
        materials=[{"code": "invoices", "name": "票据", "source": "upload", "required": True}],
        form_schema={"type": "object", "properties": {}},
        statutory_days=15,
        promised_days=5,
    )
    with pytest.raises(ValidationError) as exc:
        services.case_submit(actor=svc.citizen, item=strict, raw={})
    assert "material_invoices" in exc.value.fields


def test_acceptance_with_owed_material_needs_a_date_within_the_promised_limit(svc):
    case = _submit(svc)
    for bad in (None, timezone.localdate() - dt.timedelta(days=1), case.sla_deadline + dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as exc:
            services.case_accept(actor=svc.counter, case=case, owed_until=bad)
        assert list(exc.value.fields) == ["owed_until"]
        case.refresh_from_db()
        assert case.state == "submitted" and case.owed_until is None
    due = case.sla_deadline
    services.case_accept(actor=svc.counter, case=case, owed_until=due)
    case.refresh_from_db()
    assert case.state == "accepted" and case.owed_until == due
    assert case.owed_materials == [{"code": "layout", "name": "经营场所平面图", "form": "电子或扫描件"}]
    notice = Message.objects.filter(recipient=svc.agent, event="services.case.accept").get()
    assert "经营场所平面图" in notice.body and due.isoformat() in notice.body  # one notice with all


def test_a_date_on_a_case_owing_nothing_is_refused(svc):
    case = _submit(svc, files={"material_layout": _plan()})
    assert case.materials["layout"]["by"] == "upload"
    with pytest.raises(ValidationError) as exc:
        services.case_accept(actor=svc.counter, case=case, owed_until=timezone.localdate())
    assert list(exc.value.fields) == ["owed_until"]


def test_no_approval_until_the_owed_material_arrives(svc):
    case = _submit(svc)
    services.case_accept(actor=svc.counter, case=case, owed_until=case.sla_deadline)
    case.refresh_from_db()
    services.case_approve(actor=svc.reviewer, case=case)  # 审查: a step, not the decision
    case.refresh_from_db()
    services.case_approve(actor=svc.reviewer2, case=case)
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        services.case_approve(actor=svc.reviewer3, case=case)  # the last signature would decide
    case.refresh_from_db()
    assert case.state == "accepted"
    # Someone else cannot supply; an empty supply is a field error.
    with pytest.raises(PermissionDenied):
        services.case_supply(actor=svc.citizen, case=case, files={"material_layout": _plan()})
    with pytest.raises(ValidationError) as exc:
        services.case_supply(actor=svc.agent, case=case, files={})
    assert "material_layout" in exc.value.fields
    services.case_supply(actor=svc.agent, case=case, files={"material_layout": _plan()})
    case.refresh_from_db()
    assert (
        case.owed_until is None and case.owed_materials == [] and case.materials["layout"]["by"] == "upload"
    )
    services.case_approve(actor=svc.reviewer3, case=case)
    case.refresh_from_db()
    assert case.state == "completed"


def test_the_deadline_ends_the_case(svc):
    case = _submit(svc)
    services.case_accept(actor=svc.counter, case=case, owed_until=timezone.localdate())
    assert services.owed_scan() == 0  # due today: not yet
    Case.objects.filter(pk=case.pk).update(owed_until=timezone.localdate() - dt.timedelta(days=1))
    assert services.owed_scan() == 1
    case.refresh_from_db()
    assert case.state == "terminated" and case.sla_state == "stopped"
    last = timeline(case)[-1]
    assert last.transition == "terminate" and last.actor_id is None and last.data.get("via") == "services"
    assert Message.objects.filter(recipient=svc.agent, event="services.case.terminate").exists()
    assert services.owed_scan() == 0


def test_a_flagged_enterprise_is_excluded_from_tolerance(svc, world):
    officer = world.staff("s_credit", "credit_officer", world.xihu, world.xihu_scjg)
    credit.list_entry_add(
        actor=officer,
        entity=svc.entity,
        kind="black",
        legal_basis="《食品安全法》第一百三十四条",
        reason="一年内累计三次违法",
        until=timezone.localdate() + dt.timedelta(days=365),
        department=world.xihu_scjg,
    )
    cases, events = Case.objects.count(), AuditEvent.objects.filter(action="services.case.submit").count()
    with pytest.raises(ValidationError) as exc:
        _submit(svc)
    assert list(exc.value.fields) == ["material_layout"] and "容缺" in exc.value.fields["material_layout"][0]
    assert Case.objects.count() == cases
    assert AuditEvent.objects.filter(action="services.case.submit").count() == events
    # Supplying everything works as before.
    assert _submit(svc, files={"material_layout": _plan()}).state == "submitted"


def test_the_http_edge_passes_the_date_and_names_a_bad_one(svc):
    case = _submit(svc)
    with pytest.raises(ValidationError) as exc:
        case_action_run(
            actor=svc.counter,
            case=case,
            action="accept",
            owed_until="31/12/2026",
            expected_version=case.version,
        )
    assert list(exc.value.fields) == ["owed_until"]
    case_action_run(
        actor=svc.counter,
        case=case,
        action="accept",
        owed_until=case.sla_deadline.isoformat(),
        expected_version=case.version,
    )
    case.refresh_from_db()
    assert case.state == "accepted" and case.owed_until == case.sla_deadline


def test_item_rules_check_the_tolerable_flag(svc, world):
    item = svc.items["ZJ-SCJG-004"]
    with pytest.raises(ValidationError) as exc:
        services.item_publish(
            actor=world.system,
            code=item.code,
            name=item.name,
            kind=item.kind,
            department=item.department,
            materials=[{"code": "id", "name": "身份证", "source": "population", "tolerable": True}],
            form_schema={"type": "object", "properties": {}},
            statutory_days=15,
            promised_days=1,
        )
    assert "materials.0.tolerable" in exc.value.fields
