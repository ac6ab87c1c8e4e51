"""The workspace's workflows: tasks, internal approvals, outgoing documents (发文) and incoming
documents (收文), all on the one workflow mechanism (core.workflow)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core.workflow import Transition, Workflow


def is_assignee(obj, actor) -> bool:
    """The person the task is for, or a member of the department or unit it is for."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if obj.assignee_id is not None:
        return obj.assignee_id == actor.pk
    if obj.assignee_department_id is not None:
        return obj.assignee_department_id == getattr(actor, "department_id", None)
    if obj.assignee_unit_id is not None:
        return obj.assignee_unit_id == getattr(actor, "org_unit_id", None)
    return False


def _is_assigner(obj, actor) -> bool:
    return actor is not None and obj.created_by_id == getattr(actor, "pk", None)


TASK_FLOW = Workflow(
    name="workspace.task",
    states={
        "assigned": pgettext_lazy("workspace", "assigned"),
        "in_progress": _("in progress"),
        "completed": _("reported complete"),
        "closed": pgettext_lazy("workspace", "closed"),
        "cancelled": _("cancelled"),
    },
    initial="assigned",
    transitions=[
        Transition("start", ("assigned",), "in_progress", _("Start work"), allow=is_assignee),
        Transition(
            "complete",
            ("assigned", "in_progress"),
            "completed",
            _("Report complete"),
            allow=is_assignee,
            sla="pause",
        ),
        Transition("accept", ("completed",), "closed", _("Accept and close"), allow=_is_assigner, sla="stop"),
        Transition(
            "return",
            ("completed",),
            "in_progress",
            _("Return for more work"),
            allow=_is_assigner,
            sla="resume",
            note_required=True,
        ),
        Transition(
            "cancel",
            ("assigned", "in_progress"),
            "cancelled",
            _("Cancel"),
            allow=_is_assigner,
            sla="stop",
            note_required=True,
        ),
    ],
    sla_days=lambda obj: obj.due_working_days,
)


# Steps of each kind of approval: one decision, or an endorsement then a final decision.
APPROVAL_STEPS = {"leave": 1, "procurement": 2, "publication": 2}


def _not_own(obj, actor, data) -> str | None:
    if actor is not None and obj.applicant_id == getattr(actor, "pk", None):
        return str(_("you may not decide your own request"))
    return None


def _one_step(obj, actor, data) -> str | None:
    if APPROVAL_STEPS.get(obj.kind, 1) != 1:
        return str(_("this kind of request is endorsed first, then approved"))
    return _not_own(obj, actor, data)


def _two_steps(obj, actor, data) -> str | None:
    if APPROVAL_STEPS.get(obj.kind, 1) != 2:
        return str(_("this kind of request is approved in one step"))
    return _not_own(obj, actor, data)


def _is_applicant(obj, actor) -> bool:
    return actor is not None and obj.applicant_id == getattr(actor, "pk", None)


APPROVAL_FLOW = Workflow(
    name="workspace.approval",
    states={
        "submitted": _("submitted"),
        "endorsed": _("endorsed"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "withdrawn": _("withdrawn"),
    },
    initial="submitted",
    transitions=[
        Transition("approve", ("submitted",), "approved", _("Approve"), "workspace.approve", guard=_one_step),
        Transition(
            "endorse", ("submitted",), "endorsed", _("Endorse"), "workspace.approve", guard=_two_steps
        ),
        Transition(
            "approve_final",
            ("endorsed",),
            "approved",
            _("Approve (final)"),
            "workspace.approve_final",
            guard=_not_own,
        ),
        Transition(
            "reject",
            ("submitted", "endorsed"),
            "rejected",
            _("Reject"),
            "workspace.approve",
            guard=_not_own,
            note_required=True,
        ),
        Transition("withdraw", ("submitted",), "withdrawn", _("Withdraw"), allow=_is_applicant),
    ],
)


EDITABLE_STATES = ("draft",)

OUTGOING_FLOW = Workflow(
    name="workspace.outgoing",
    states={
        "draft": _("draft"),
        "countersigning": _("joint sign-off (会签)"),
        "awaiting_signoff": _("awaiting sign-off (签发)"),
        "signed": _("signed off (签发)"),
        "numbered": _("numbered"),
        "issued": _("sealed and distributed"),
        "filed": _("filed"),
    },
    initial="draft",
    transitions=[
        Transition(
            "route", ("draft",), "countersigning", _("Route for joint sign-off (会签)"), "workspace.draft"
        ),
        Transition("submit", ("draft",), "awaiting_signoff", _("Submit for sign-off"), "workspace.draft"),
        # Taken by the last countersigning department (via="workspace").
        Transition("countersigned", ("countersigning",), "awaiting_signoff", _("Joint sign-off complete")),
        Transition(
            "return",
            ("countersigning", "awaiting_signoff"),
            "draft",
            _("Return to drafter"),
            "workspace.countersign",
            note_required=True,
        ),
        Transition("sign", ("awaiting_signoff",), "signed", _("Sign off (签发)"), "workspace.sign_off"),
        Transition("number", ("signed",), "numbered", _("Number (编号)"), "workspace.draft"),
        Transition("issue", ("numbered",), "issued", _("Seal and distribute"), "workspace.draft"),
        Transition("file", ("issued",), "filed", _("File (归档)"), "workspace.draft"),
    ],
)


def _is_handler(obj, actor) -> bool:
    return (
        actor is not None
        and obj.handler_department_id is not None
        and obj.handler_department_id == getattr(actor, "department_id", None)
    )


INCOMING_FLOW = Workflow(
    name="workspace.incoming",
    states={
        "registered": _("registered (登记)"),
        "proposed": _("proposed (拟办)"),
        "instructed": _("instructed (批办)"),
        "handling": _("being handled (承办)"),
        "completed": _("completed (办结)"),
    },
    initial="registered",
    transitions=[
        Transition(
            "propose",
            ("registered",),
            "proposed",
            _("Propose handling (拟办)"),
            "workspace.register_incoming",
        ),
        Transition("instruct", ("proposed",), "instructed", _("Instruct (批办)"), "workspace.instruct"),
        Transition(
            "assign",
            ("instructed",),
            "handling",
            _("Assign for handling (承办)"),
            "workspace.register_incoming",
        ),
        Transition("complete", ("handling",), "completed", _("Complete (办结)"), allow=_is_handler),
    ],
)
