"""payments.bill_create_for_case: another module bills a citizen for their own case, on their
behalf; the bill and its audit event name the citizen and the calling module."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.payments import services
from zhengtong.payments.models import Bill

pytestmark = pytest.mark.django_db


def _bill(pw, **kw):
    args = {
        "payer": pw.citizen,
        "via": "services",
        "reference": "case:7",
        "org_unit": pw.xihu,
        "department": pw.xihu_scjg,
        "items": [("营业执照工本费", 1000)],
        "description": "test",
        **kw,
    }
    return services.bill_create_for_case(**args)


def test_the_payer_is_the_actor_via_the_calling_module(pw):
    bill = _bill(pw)
    assert (bill.payer_id, bill.created_by_id, bill.total_fen, bill.state) == (
        pw.citizen.pk,
        pw.citizen.pk,
        1000,
        "unpaid",
    )
    event = AuditEvent.objects.get(action="payments.bill.create")
    assert (event.actor_id, event.actor_label, event.via) == (
        pw.citizen.pk,
        pw.citizen.get_username(),
        "services",
    )
    assert event.after == {
        "reference": "case:7",
        "total_fen": 1000,
        "items": [{"name": "营业执照工本费", "amount_fen": 1000}],
    }


def test_the_citizen_may_not_bill_directly(pw):
    with pytest.raises(PermissionDenied):
        services.bill_create(
            actor=pw.citizen,
            payer=pw.citizen,
            reference="case:7",
            org_unit=pw.xihu,
            items=[("x", 100)],
        )
    assert Bill.objects.count() == 0 and not AuditEvent.objects.filter(action="payments.bill.create").exists()


def test_the_same_rules_as_any_bill(pw):
    with pytest.raises(ValueError):
        _bill(pw, via="")
    with pytest.raises(ValidationError):
        _bill(pw, items=[])
    with pytest.raises(ValidationError):
        _bill(pw, reference="no-colon")
    assert Bill.objects.count() == 0
    _bill(pw)
    with pytest.raises(Conflict):
        _bill(pw)
    assert Bill.objects.count() == 1
