"""System effects of a citizen's action go through other modules' trusted entry points: the
audit trail names the citizen as the actor and the module as ``via``, never a superuser."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.workflow import timeline
from zhengtong.payments.services import bill_for
from zhengtong.registry import selectors as registry_selectors
from zhengtong.services import demo, eforms, services
from zhengtong.services.models import Bundle
from zhengtong.services.tests.conftest import pay_bill
from zhengtong.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def _fee_case(svc):
    return services.case_submit(
        actor=svc.citizen,
        item=svc.items["ZJ-SCJG-001"],
        raw={"category": "N1", "training_org": "杭州培训中心", "work_years": "3"},
    )


def test_the_bill_of_a_case_is_issued_on_the_applicants_behalf_via_services(svc):
    case = _fee_case(svc)
    bill = bill_for(f"case:{case.pk}")
    assert (bill.payer_id, bill.created_by_id, bill.total_fen) == (svc.citizen.pk, svc.citizen.pk, 5000)
    event = AuditEvent.objects.get(action="payments.bill.create", target_id=str(bill.pk))
    assert (event.actor_id, event.actor_label, event.via) == (
        svc.citizen.pk,
        svc.citizen.get_username(),
        "services",
    )
    assert event.after["reference"] == f"case:{case.pk}"


def test_paying_moves_the_case_on_as_the_payer_via_payments(svc):
    case = _fee_case(svc)
    pay_bill(bill_for(f"case:{case.pk}"), svc.citizen)
    case.refresh_from_db()
    assert case.paid_at is not None and case.state == "submitted"
    event = AuditEvent.objects.get(action="services.case.pay", target_id=str(case.pk))
    assert (event.actor_id, event.via) == (svc.citizen.pk, "payments")
    step = [e for e in timeline(case) if e.transition == "pay"]
    assert len(step) == 1
    assert (step[0].actor_id, step[0].actor_label, step[0].data) == (
        svc.citizen.pk,
        svc.citizen.get_username(),
        {"via": "payments"},
    )
    # Now the counter may accept it.
    services.case_accept(actor=svc.counter, case=case)
    assert case.state == "accepted"


def test_a_bill_that_is_not_the_cases_does_not_mark_it_paid(svc):
    case = _fee_case(svc)
    other = _fee_case(svc)
    pay_bill(bill_for(f"case:{other.pk}"), svc.citizen)
    services.case_mark_paid(case=case, bill=bill_for(f"case:{other.pk}"))
    case.refresh_from_db()
    assert case.paid_at is None
    assert not AuditEvent.objects.filter(action="services.case.pay", target_id=str(case.pk)).exists()
    # An unpaid bill of the case itself does not either.
    services.case_mark_paid(case=case, bill=bill_for(f"case:{case.pk}"))
    case.refresh_from_db()
    assert case.paid_at is None


def test_a_bundle_bill_is_the_applicants_and_paying_it_pays_every_part_via_payments(svc):
    demo.publish_bundles(svc.world.xihu)
    bundle = Bundle.objects.get(code="restaurant")
    bundle.items.set([svc.items["ZJ-SCJG-001"], svc.items["ZJ-GAJ-001"]])
    app = services.bundle_submit(
        actor=svc.citizen,
        bundle=bundle,
        raw={
            "ZJ-SCJG-001.category": "N1",
            "ZJ-SCJG-001.training_org": "培训中心",
            "ZJ-GAJ-001.reason": "有效期满",
        },
    )
    bill = bill_for(f"bundle:{app.pk}")
    event = AuditEvent.objects.get(action="payments.bill.create", target_id=str(bill.pk))
    assert (event.actor_id, event.via) == (svc.citizen.pk, "services")
    pay_bill(bill, svc.citizen)
    paid = AuditEvent.objects.filter(action="services.case.pay").order_by("id")
    assert sorted(e.target_id for e in paid) == sorted(str(c.pk) for c in app.cases.all())
    assert {(e.actor_id, e.via) for e in paid} == {(svc.citizen.pk, "payments")}


def test_a_bad_rating_opens_the_rectification_as_the_citizen_via_services(svc):
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    case.refresh_from_db()
    rating = services.rating_submit(
        actor=svc.citizen, case=case, score=1, comment="窗口态度差", reasons=["attitude"]
    )
    wo = WorkOrder.objects.get(pk=rating.work_order_id)
    assert (wo.requester_id, wo.created_by_id, wo.kind) == (svc.citizen.pk, svc.citizen.pk, "rectification")
    event = AuditEvent.objects.get(action="workorders.work_order.create", target_id=str(wo.pk))
    assert (event.actor_id, event.via) == (svc.citizen.pk, "services")


def test_form_sources_are_the_fields_the_registry_holdings_load():
    assert set(registry_selectors.HOLDINGS_PERSON_FIELDS) == eforms.PERSON_FIELDS
    assert set(registry_selectors.HOLDINGS_ENTITY_FIELDS) == eforms.ENTITY_FIELDS


def test_the_e_licence_of_a_completed_case_is_issued_by_its_reviewer_via_services(svc):
    # The reviewer holds no registry role: the licence is the result of their decision on the
    # case, issued through the registry's trusted entry point, and recorded as theirs.
    case = _fee_case(svc)
    pay_bill(bill_for(f"case:{case.pk}"), svc.citizen)
    case.refresh_from_db()
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case, note="同意")
    case.refresh_from_db()
    assert case.state == "completed" and case.licence is not None
    event = AuditEvent.objects.get(action="registry.licence.issue", target_id=str(case.licence.pk))
    assert (event.actor_id, event.actor_label, event.via) == (
        svc.reviewer.pk,
        svc.reviewer.get_username(),
        "services",
    )
