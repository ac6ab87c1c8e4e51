"""The work-order workflow, one function per transition (受理→派单→办理→答复→回访→办结).

Each function takes only its own arguments; the workflow checks the role at the work order's
unit and department, the state, the version (a stale ``expected_version`` is a Conflict), and
writes the timeline and the audit event. The requester hears of a reply, a merge and the close.

``work_order_answer`` is the trusted internal entry point another module answers a work order
through (grid, when the incident a complaint became is closed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can, ensure_can_on
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.workorders import hooks
from zhengtong.workorders.errors import WorkordersError
from zhengtong.workorders.models import WorkOrder
from zhengtong.workorders.services.hotline import caller_sms
from zhengtong.workorders.services.routing import default_unit
from zhengtong.workorders.workflows import WORK_ORDER_FLOW

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department

ANSWERABLE_STATES = ("submitted", "returned", "assigned", "in_progress")


def _may(actor: Any, work_order: WorkOrder, action: str) -> None:
    ensure_authenticated(actor)
    t = WORK_ORDER_FLOW.transition(action)
    if not WORK_ORDER_FLOW.may(work_order, actor, t):
        raise PermissionDenied(_("you may not “%s” this item") % t.label)


def _apply(
    *,
    actor: Any,
    work_order: WorkOrder,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    via: str = "",
) -> WorkOrder:
    changes = dict(changes or {})
    if WORK_ORDER_FLOW.transition(action).target == "closed":
        changes["closed_at"] = timezone.now()
    with transaction.atomic():
        WORK_ORDER_FLOW.apply(
            work_order,
            action,
            actor=actor,
            note=note,
            data=data or {},
            changes=changes,
            expected_version=expected_version,
            via=via,
        )
        if work_order.state == "closed":
            hooks.run_closed(work_order)
        _tell_requester(work_order, action)
    return work_order


def _tell_requester(order: WorkOrder, action: str) -> None:
    caller_sms(order, action)  # a caller known only by phone (12345): SMS at each step
    if order.requester_id is None or action not in ("reply", "close", "merge"):
        return
    if action == "reply":
        title = _("Your work order %s has a reply") % order.number
        body = order.reply[:500]
    elif action == "merge":
        title = _("Your work order %s was merged") % order.number
        body = _("It is handled together with %s.") % order.merged_into.number
    else:
        title = _("Your work order %s is closed") % order.number
        body = ""
    notify(
        recipient=order.requester,
        event=f"workorders.{action}",
        title=title,
        body=body,
        link=reverse("workorders:mine_detail", args=[order.number]),
        channels=("inbox", "sms"),
    )


def _to_department(actor: Any, work_order: WorkOrder, action: str, department: Department | None) -> tuple:
    if department is None:
        raise ValidationError.for_field("department", _("choose the department to handle it"))
    ensure_can(actor, "workorders.dispatch", department.org_unit)
    if department.pk == work_order.department_id and action == "reassign":
        raise ValidationError.for_field("department", _("it is already with this department"))
    return {"department_id": department.pk, "org_unit_id": department.org_unit_id}, {
        "department": department.name
    }


def work_order_assign(
    *,
    actor: Any,
    work_order: WorkOrder,
    department: Department | None,
    note: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    """Assign (派单) a submitted or returned work order to ``department`` (workorders.dispatch at
    the department's unit)."""
    _may(actor, work_order, "assign")
    changes, data = _to_department(actor, work_order, "assign", department)
    return _apply(
        actor=actor,
        work_order=work_order,
        action="assign",
        note=note,
        expected_version=expected_version,
        changes=changes,
        data=data,
    )


def work_order_reassign(
    *,
    actor: Any,
    work_order: WorkOrder,
    department: Department | None,
    note: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    """Reassign (改派) to another department; needs a reason."""
    _may(actor, work_order, "reassign")
    changes, data = _to_department(actor, work_order, "reassign", department)
    return _apply(
        actor=actor,
        work_order=work_order,
        action="reassign",
        note=note,
        expected_version=expected_version,
        changes=changes,
        data=data,
    )


def work_order_take(
    *, actor: Any, work_order: WorkOrder, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    """Start handling an assigned work order."""
    _may(actor, work_order, "take")
    return _apply(
        actor=actor, work_order=work_order, action="take", note=note, expected_version=expected_version
    )


def work_order_return(
    *, actor: Any, work_order: WorkOrder, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    """Return (退回) to the dispatching office of the region; needs a reason."""
    _may(actor, work_order, "return")
    return _apply(
        actor=actor,
        work_order=work_order,
        action="return",
        note=note,
        expected_version=expected_version,
        changes={"department_id": None, "org_unit_id": default_unit(work_order.region).pk},
    )


def _reply_changes(reply: str) -> tuple[dict[str, Any], dict[str, Any]]:
    changes: dict[str, Any] = {}
    if (reply or "").strip():
        if len(reply) > 4000:
            raise ValidationError.for_field("reply", _("at most %d characters") % 4000)
        changes.update(reply=reply.strip(), replied_at=timezone.now())
    return changes, {"reply": reply or ""}


def work_order_reply(
    *, actor: Any, work_order: WorkOrder, reply: str, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    """Reply to the requester (the clock stops); ``reply`` is required, at most 4000 characters."""
    _may(actor, work_order, "reply")
    changes, data = _reply_changes(reply)
    return _apply(
        actor=actor,
        work_order=work_order,
        action="reply",
        note=note,
        expected_version=expected_version,
        changes=changes,
        data=data,
    )


def work_order_callback(
    *,
    actor: Any,
    work_order: WorkOrder,
    satisfaction: int | None,
    note: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    """Record the call-back (回访): the requester's satisfaction 1–5 and a note. A work order
    closes only after it (``workflows.callback_required``). 不满意 (1 or 2, at most
    ``WORKORDERS_DISSATISFIED_MAX``) reopens it at once: back in progress with its department,
    the clock restarted, recorded as the caller-back's act via workorders."""
    _may(actor, work_order, "callback")
    with transaction.atomic():
        _apply(
            actor=actor,
            work_order=work_order,
            action="callback",
            note=note,
            expected_version=expected_version,
            changes={"satisfaction": satisfaction, "callback_note": note.strip()[:2000]},
            data={"satisfaction": satisfaction},
        )
        if satisfaction <= settings.WORKORDERS_DISSATISFIED_MAX:
            _apply(
                actor=actor,
                work_order=work_order,
                action="reopen",
                note=_("dissatisfied at the call-back (不满意): reopened"),
                changes={"closed_at": None},
                via="workorders",
            )
    return work_order


def work_order_close(
    *, actor: Any, work_order: WorkOrder, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    """Close (办结) a replied or called-back work order."""
    _may(actor, work_order, "close")
    return _apply(
        actor=actor, work_order=work_order, action="close", note=note, expected_version=expected_version
    )


def work_order_merge(
    *,
    actor: Any,
    work_order: WorkOrder,
    master: WorkOrder | None,
    note: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    """Merge (合并) into ``master``, an open work order the actor may see: closed, merged_into set."""
    _may(actor, work_order, "merge")
    if master is None:
        raise ValidationError.for_field("master", _("the work order to merge into is required"))
    if master.pk == work_order.pk or master.merged_into_id is not None:
        raise ValidationError.for_field("master", _("cannot merge into itself or into a merged work order"))
    if master.state == "closed":
        raise ValidationError.for_field("master", _("the master work order is closed"))
    ensure_can_on(actor, "workorders.view", master)
    return _apply(
        actor=actor,
        work_order=work_order,
        action="merge",
        note=note,
        expected_version=expected_version,
        changes={"merged_into_id": master.pk},
        data={"master": master.number},
    )


def work_order_withdraw(
    *, actor: Any, work_order: WorkOrder, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    """The requester withdraws a submitted or assigned work order (closed)."""
    _may(actor, work_order, "withdraw")
    return _apply(
        actor=actor, work_order=work_order, action="withdraw", note=note, expected_version=expected_version
    )


def work_order_reopen(
    *, actor: Any, work_order: WorkOrder, note: str = "", expected_version: int | None = None
) -> WorkOrder:
    """Reopen a replied, called-back or closed work order (in progress, clock restarted); needs
    a reason."""
    _may(actor, work_order, "reopen")
    return _apply(
        actor=actor,
        work_order=work_order,
        action="reopen",
        note=note,
        expected_version=expected_version,
        changes={"closed_at": None},
    )


@transaction.atomic
def work_order_answer(
    *,
    actor: Any,
    via: str,
    work_order: WorkOrder,
    reply: str,
    department: Department | None = None,
    note: str = "",
) -> WorkOrder:
    """Trusted internal entry point: another module answers a work order as the effect of
    ``actor``'s own action there (grid: the staff member who closed the incident a complaint
    became, ``via="grid"``). A work order still waiting for dispatch is first assigned to
    ``department`` (required then), then replied with ``reply``. No workorders role is checked
    (the calling module is responsible); the timeline and audit events name ``actor`` and
    ``via``. Only a work order in an answerable state (submitted, returned, assigned, in
    progress) can be answered: otherwise a Conflict, and nothing changes."""
    if not via:
        raise ValueError("work_order_answer needs via (the calling module)")
    if work_order.state not in ANSWERABLE_STATES:
        raise Conflict(
            _("the work order is answered or closed already"), code=WorkordersError.ALREADY_ANSWERED
        )
    if not (reply or "").strip():
        raise ValidationError.for_field("reply", _("is required"))
    if work_order.state in ("submitted", "returned"):
        if department is None:
            raise ValidationError.for_field("department", _("choose the department to handle it"))
        _apply(
            actor=actor,
            work_order=work_order,
            action="assign",
            note=note,
            changes={"department_id": department.pk, "org_unit_id": department.org_unit_id},
            data={"department": department.name},
            via=via,
        )
    changes, data = _reply_changes(reply)
    return _apply(actor=actor, work_order=work_order, action="reply", changes=changes, data=data, via=via)
