"""The project approval workflow (Five Safes: safe projects and safe people are approved by the
data owner department, then by the data security officer; two different people, neither the
applicant), on the shared workflow mechanism.

submitted → owner_approved → approved → closed | expired; rejected from either pending state.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core.workflow import Transition, Workflow


def _is_applicant(project, actor) -> bool:
    return actor is not None and project.applicant_id == getattr(actor, "pk", None)


def _not_applicant(project, actor, data) -> str | None:
    if _is_applicant(project, actor):
        return str(_("the applicant may not approve their own project"))
    return None


def _second_person(project, actor, data) -> str | None:
    if _is_applicant(project, actor) or project.owner_approver_id == getattr(actor, "pk", None):
        return str(
            _("the security approval needs a person other than the applicant and the owner's approver")
        )
    return None


PROJECT_FLOW = Workflow(
    name="sandbox.project",
    states={
        "submitted": pgettext_lazy("sandbox project state", "submitted"),
        "owner_approved": pgettext_lazy("sandbox project state", "approved by the owner"),
        "approved": pgettext_lazy("sandbox project state", "approved"),
        "rejected": pgettext_lazy("sandbox project state", "rejected"),
        "closed": pgettext_lazy("sandbox project state", "closed"),
        "expired": pgettext_lazy("sandbox project state", "expired"),
    },
    initial="submitted",
    transitions=[
        Transition(
            "approve_owner",
            ("submitted",),
            "owner_approved",
            _("Approve as data owner"),
            "sandbox.approve",
            guard=_not_applicant,
        ),
        Transition(
            "approve",
            ("owner_approved",),
            "approved",
            _("Approve as data security officer"),
            "sandbox.check",
            guard=_second_person,
            sla="stop",
        ),
        Transition(
            "reject",
            ("submitted",),
            "rejected",
            _("Reject"),
            "sandbox.approve",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "security_reject",
            ("owner_approved",),
            "rejected",
            _("Reject (security)"),
            "sandbox.check",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "close", ("approved",), "closed", _("Close project"), "sandbox.check", allow=_is_applicant
        ),
        Transition("expire", ("approved",), "expired", _("Expire")),
    ],
    sla_days=lambda project: settings.SANDBOX_APPROVAL_DAYS,
)
