"""Internal approvals on the workflow mechanism; nobody decides their own request."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.workspace import selectors, services
from zhengtong.workspace.errors import WorkspaceError


def test_leave_one_step_and_own_request_refused(ws):
    leave = services.approval_submit(
        actor=ws.scjg_head,
        kind="leave",
        title="年休假",
        start_date=dt.date(2026, 12, 14),
        end_date=dt.date(2026, 12, 16),
    )
    with pytest.raises(PermissionDenied) as err:
        services.approval_decide(actor=ws.scjg_head, approval=leave, decision="approve")
    assert err.value.code == WorkspaceError.OWN_REQUEST
    leave.refresh_from_db()
    assert leave.state == "submitted"
    assert AuditEvent.objects.filter(action="workspace.refused", after__code="own_request").exists()
    assert leave in selectors.approvals_to_decide(ws.leader)
    services.approval_decide(actor=ws.leader, approval=leave, decision="approve")
    leave.refresh_from_db()
    assert leave.state == "approved" and leave.decided_at is not None


def test_procurement_two_steps(ws):
    buy = services.approval_submit(
        actor=ws.scjg_clerk, kind="procurement", title="采购快检设备", amount_fen=1_250_000
    )
    with pytest.raises(ValidationError):  # two-step kind: endorse first
        services.approval_decide(actor=ws.scjg_head, approval=buy, decision="approve")
    services.approval_decide(actor=ws.scjg_head, approval=buy, decision="endorse")
    with pytest.raises(PermissionDenied):  # department head lacks the final decision
        services.approval_decide(actor=ws.scjg_head, approval=buy, decision="approve_final")
    services.approval_decide(actor=ws.leader, approval=buy, decision="approve_final")
    buy.refresh_from_db()
    assert buy.state == "approved"


def test_bad_input_named_by_field(ws):
    with pytest.raises(ValidationError) as err:
        services.approval_submit(actor=ws.scjg_clerk, kind="procurement", title="x", amount_fen=-5)
    assert "amount_fen" in err.value.fields
    with pytest.raises(ValidationError) as err:
        services.approval_submit(actor=ws.scjg_clerk, kind="holiday", title="x")
    assert "kind" in err.value.fields
