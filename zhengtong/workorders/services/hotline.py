"""12345 hotline: an operator logs a call for a caller known only by phone (no account), with the
knowledge base's suggested answers; a call answered from the knowledge base closes at once
(即时办结) and counts towards its use rate; the caller hears of each step by SMS."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.core.errors import ValidationError
from zhengtong.notify.services import sms_to_number
from zhengtong.workorders import hooks
from zhengtong.workorders.models import CITIZEN_KINDS, Channel, WorkOrder
from zhengtong.workorders.services.orders import _check_kind, _open
from zhengtong.workorders.workflows import WORK_ORDER_FLOW

# What a caller without an account is told by SMS, per step (the requester with an account hears
# of reply, merge and close through ``notify``).
CALLER_SMS = {
    "open": gettext_lazy("Your 12345 request %(number)s was registered"),
    "assign": gettext_lazy("Your 12345 request %(number)s was passed to %(department)s"),
    "reply": gettext_lazy("Your 12345 request %(number)s has a reply"),
    "answer_directly": gettext_lazy("Your 12345 request %(number)s was answered"),
    "reopen": gettext_lazy("Your 12345 request %(number)s is being handled again"),
    "close": gettext_lazy("Your 12345 request %(number)s is closed"),
    "merge": gettext_lazy("Your 12345 request %(number)s is handled together with another"),
}


def caller_sms(order: WorkOrder, action: str) -> None:
    """SMS the caller known only by phone (no requester account) at a step of their work order,
    after the commit, through notify's SMS adapter."""
    if order.requester_id is not None or not order.contact_phone or action not in CALLER_SMS:
        return
    title = str(CALLER_SMS[action]) % {
        "number": order.number,
        "department": order.department.name if order.department_id else "",
    }
    body = order.reply[:200] if action in ("reply", "answer_directly") else ""
    sms_to_number(number=order.contact_phone, event=f"workorders.caller.{action}", title=title, body=body)


def call_log(
    *,
    actor: Any,
    phone: str,
    caller_name: str = "",
    kind: str,
    category: str,
    title: str,
    description: str,
    region: Any,
    department: Any = None,
    knowledge_ref: str = "",
    answered_directly: bool = False,
) -> WorkOrder:
    """Log a 12345 call (workorders.create at ``region``). The caller is known by ``phone`` (a
    mobile number, required) and optionally a name; no account, no requester. ``knowledge_ref``
    (``knowledge:<id>``) names the knowledge-base entry the operator used; with
    ``answered_directly`` the entry's answer is the reply and the work order closes at once
    (即时办结, a consultation only); otherwise it is routed like any other."""
    ensure_authenticated(actor)
    _check_kind(kind, category, region)
    if kind not in CITIZEN_KINDS:
        raise ValidationError.for_field(
            "kind", _("a call is a consultation, request, suggestion, complaint or report")
        )
    ensure_can(actor, "workorders.create", region)
    if not (phone or "").strip():
        raise ValidationError.for_field("phone", _("the caller's mobile number is required"))
    name = (caller_name or "").strip()
    if len(name) > 50:
        raise ValidationError.for_field("caller_name", _("at most %d characters") % 50)
    answer = None
    if knowledge_ref:
        answer = hooks.knowledge_get(actor, knowledge_ref)
        if answer is None:
            raise ValidationError.for_field("knowledge_ref", _("no such knowledge-base entry"))
    if answered_directly:
        if answer is None:
            raise ValidationError.for_field(
                "knowledge_ref", _("name the knowledge-base entry the call was answered from")
            )
        if kind != "consultation":
            raise ValidationError.for_field("kind", _("only a consultation is answered on the call"))
    with transaction.atomic():
        try:
            order = _open(
                actor=actor,
                kind=kind,
                category=category,
                title=title,
                description=description,
                region=region,
                requester=None,
                department=None if answered_directly else department,
                source_ref="",
                due_working_days=None,
                contact_phone=phone,
                quota=False,
                extra={
                    "caller_name": name,
                    "channel": Channel.HOTLINE,
                    "knowledge_ref": knowledge_ref if answer else "",
                },
                routing=not answered_directly,
            )
        except ValidationError as exc:
            if "contact_phone" in exc.fields:
                raise ValidationError(fields={"phone": exc.fields["contact_phone"]}) from None
            raise
        if answered_directly:
            reply = f"{answer.title}\n{answer.body}"[:4000]
            now = timezone.now()
            WORK_ORDER_FLOW.apply(
                order,
                "answer_directly",
                actor=actor,
                data={"reply": reply, "knowledge_ref": knowledge_ref},
                changes={"reply": reply, "answered_directly": True, "closed_at": now, "replied_at": now},
            )
            caller_sms(order, "answer_directly")
        else:
            caller_sms(order, "open")
            if order.state == "assigned":
                caller_sms(order, "assign")
    return order
