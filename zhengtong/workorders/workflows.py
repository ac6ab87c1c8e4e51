"""The work-order lifecycle (GB/T 33358 / 12345: 受理→派单→办理→答复→回访→办结)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.core.workflow import Transition, Workflow


def _is_requester(obj, actor) -> bool:
    return (
        actor is not None and obj.requester_id is not None and obj.requester_id == getattr(actor, "pk", None)
    )


def _reply_guard(obj, actor, data) -> str | None:
    return (
        None if (data.get("reply") or "").strip() else str(_("reply: a reply to the requester is required"))
    )


def _callback_guard(obj, actor, data) -> str | None:
    value = data.get("satisfaction")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        return str(_("satisfaction: must be 1 (very dissatisfied) to 5 (very satisfied)"))
    return None


def callback_required(obj) -> bool:
    """Whether the work order closes only after its call-back (回访): every citizen matter with
    someone to call back (an account or a phone number), and the rectification of a bad 好差评
    rating (source ``rating:<id>``, 国办发〔2019〕51号); other modules' rectifications keep the
    plain flow."""
    if obj.kind == "rectification":
        return (obj.source_ref or "").startswith("rating:")
    return obj.requester_id is not None or bool(obj.contact_phone)


def _close_guard(obj, actor, data) -> str | None:
    if obj.state != "called_back" and callback_required(obj):
        if obj.kind == "rectification":
            return str(_("a rectification is closed only after the call-back (回访)"))
        return str(_("a work order is closed only after the call-back (回访)"))
    return None


def _answer_guard(obj, actor, data) -> str | None:
    if not (data.get("reply") or "").strip():
        return str(_("reply: a reply to the requester is required"))
    if not (data.get("knowledge_ref") or "").startswith("knowledge:"):
        return str(_("knowledge_ref: name the knowledge-base entry answered from"))
    return None


def _merge_guard(obj, actor, data) -> str | None:
    return None if data.get("master") else str(_("master: the work order to merge into is required"))


OPEN_STATES = ("submitted", "assigned", "in_progress", "returned")

WORK_ORDER_FLOW = Workflow(
    name="workorders.work_order",
    states={
        "submitted": _("submitted"),
        "assigned": _("assigned"),
        "in_progress": _("in progress"),
        "returned": _("returned to dispatcher"),
        "replied": _("replied"),
        "called_back": _("called back"),
        "closed": _("closed"),
    },
    initial="submitted",
    transitions=[
        Transition(
            "assign", ("submitted", "returned"), "assigned", _("Assign (派单)"), "workorders.dispatch"
        ),
        Transition(
            "reassign",
            ("assigned", "in_progress"),
            "assigned",
            _("Reassign (改派)"),
            "workorders.dispatch",
            note_required=True,
        ),
        Transition("take", ("assigned",), "in_progress", _("Start handling"), "workorders.handle"),
        Transition(
            "return",
            ("assigned", "in_progress"),
            "returned",
            _("Return to dispatcher (退回)"),
            "workorders.handle",
            note_required=True,
        ),
        Transition(
            "reply",
            ("assigned", "in_progress"),
            "replied",
            _("Reply (答复)"),
            "workorders.handle",
            guard=_reply_guard,
            sla="stop",
        ),
        Transition(
            "callback",
            ("replied",),
            "called_back",
            _("Call back (回访)"),
            "workorders.callback",
            guard=_callback_guard,
        ),
        Transition(
            "close",
            ("replied", "called_back"),
            "closed",
            _("Close (办结)"),
            "workorders.dispatch",
            guard=_close_guard,
        ),
        Transition(
            # 12345: a consultation answered on the call from the knowledge base (即时办结).
            "answer_directly",
            ("submitted",),
            "closed",
            _("Answered on the call from the knowledge base"),
            "workorders.create",
            guard=_answer_guard,
            sla="stop",
        ),
        Transition(
            "merge",
            OPEN_STATES,
            "closed",
            _("Merge into another (合并)"),
            "workorders.dispatch",
            guard=_merge_guard,
            sla="stop",
        ),
        Transition(
            "withdraw",
            ("submitted", "assigned"),
            "closed",
            _("Withdraw"),
            allow=_is_requester,
            sla="stop",
        ),
        Transition(
            "reopen",
            ("replied", "called_back", "closed"),
            "in_progress",
            _("Reopen"),
            "workorders.dispatch",
            note_required=True,
            sla="start",
        ),
    ],
    sla_days=lambda obj: obj.due_working_days,
)
