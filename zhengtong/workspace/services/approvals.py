"""Internal approvals (leave, procurement, publication) on the workflow mechanism: one decision
or an endorsement then a final decision (``workflows.APPROVAL_STEPS``); nobody decides their own
request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.accounts.selectors import holders_of
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.workspace.errors import WorkspaceError
from zhengtong.workspace.models import Approval
from zhengtong.workspace.services.common import records_refusals, text
from zhengtong.workspace.workflows import APPROVAL_FLOW

DECISIONS = ("approve", "endorse", "approve_final", "reject")


def _tell_deciders(approval: Approval, perm: str) -> None:
    for person in holders_of(perm, approval.org_unit.path, department=approval.department_id, nearest=True):
        if person.pk == approval.applicant_id:
            continue
        notify(
            recipient=person,
            event="workspace.approval",
            title=_("Request to decide: %s") % approval.title,
            link=reverse("workspace:approval", args=[approval.pk]),
        )


@transaction.atomic
def approval_submit(
    *,
    actor: Any,
    kind: str,
    title: str,
    details: str = "",
    amount_fen: int | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Approval:
    """File a request at the actor's unit and department; the nearest deciders are told."""
    ensure_authenticated(actor)
    if getattr(actor, "org_unit_id", None) is None:
        raise PermissionDenied(_("the workspace is for staff"))
    ensure_can(actor, "workspace.use", actor.org_unit)
    if kind not in Approval.Kind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(Approval.Kind.values))
    title = text("title", title, 200)
    details = text("details", details, 5000, required=False)
    if kind == "leave":
        if start_date is None or end_date is None:
            raise ValidationError.for_field("start_date", _("a leave request needs its dates"))
        if end_date < start_date:
            raise ValidationError.for_field("end_date", _("must not be before the start"))
    bad_amount = (
        isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= 10**13
    )
    if kind == "procurement" and bad_amount:
        raise ValidationError.for_field("amount_fen", _("a procurement needs a positive amount in fen"))
    approval = Approval(
        kind=kind,
        title=title,
        details=details,
        amount_fen=amount_fen if kind == "procurement" else None,
        start_date=start_date,
        end_date=end_date,
        applicant=actor,
        org_unit_id=actor.org_unit_id,
        department_id=actor.department_id,
        state=APPROVAL_FLOW.initial,
    )
    approval.save()
    APPROVAL_FLOW.start(approval, actor=actor, after={"state": approval.state, "kind": kind})
    _tell_deciders(approval, "workspace.approve")
    return approval


@records_refusals("approval_decide")
@transaction.atomic
def approval_decide(*, actor: Any, approval: Approval, decision: str, note: str = "") -> Approval:
    """Approve, endorse, give the final approval or reject. Refused for one's own request."""
    ensure_authenticated(actor)
    if decision not in DECISIONS:
        raise ValidationError.for_field("decision", _("must be one of %s") % ", ".join(DECISIONS))
    if approval.applicant_id == actor.pk:
        raise PermissionDenied(_("you may not decide your own request"), code=WorkspaceError.OWN_REQUEST)
    APPROVAL_FLOW.apply(
        approval,
        decision,
        actor=actor,
        note=text("note", note, 1000, required=False),
        changes={"decided_at": timezone.now()} if decision != "endorse" else {},
    )
    if decision == "endorse":
        _tell_deciders(approval, "workspace.approve_final")
    else:
        notify(
            recipient=approval.applicant,
            event="workspace.approval_decided",
            title=_("Your request “%(title)s”: %(state)s")
            % {"title": approval.title, "state": approval.state_label},
            link=reverse("workspace:approval", args=[approval.pk]),
        )
    return approval


@transaction.atomic
def approval_withdraw(*, actor: Any, approval: Approval) -> Approval:
    """The applicant withdraws a request nobody has decided yet."""
    APPROVAL_FLOW.apply(approval, "withdraw", actor=actor)
    return approval
