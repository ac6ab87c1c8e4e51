"""The lifecycles of sharing requests, grants and data objections on the shared workflow mechanism.

request: pending → partly_approved (the first of two approvals, L3–L4) → approved | rejected |
withdrawn, on a clock of SHARING_DECISION_DAYS working days. grant: active ⇄ suspended →
revoked | expired. objection: open → answered | withdrawn, on SHARING_OBJECTION_DAYS.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core import authz
from zhengtong.core.workflow import Transition, Workflow


def may_decide(obj, actor) -> bool:
    """The owner department's approvers, and the data security officers of the owner's area."""
    return authz.can_on(actor, "sharing.approve", obj) or authz.can(
        actor, "sharing.approve_sensitive", obj.org_unit
    )


def _requester(request, actor) -> bool:
    return actor is not None and request.requested_by_id == getattr(actor, "pk", None)


def _raiser(objection, actor) -> bool:
    return actor is not None and objection.raised_by_id == getattr(actor, "pk", None)


REQUEST_FLOW = Workflow(
    name="sharing.request",
    states={
        "pending": pgettext_lazy("sharing request state", "pending"),
        "partly_approved": pgettext_lazy("sharing request state", "partly approved"),
        "approved": pgettext_lazy("sharing request state", "approved"),
        "rejected": pgettext_lazy("sharing request state", "rejected"),
        "withdrawn": pgettext_lazy("sharing request state", "withdrawn"),
    },
    initial="pending",
    transitions=[
        Transition("endorse", ("pending",), "partly_approved", _("Approve (first of two)"), allow=may_decide),
        Transition(
            "approve", ("pending", "partly_approved"), "approved", _("Approve"), allow=may_decide, sla="stop"
        ),
        Transition(
            "reject",
            ("pending", "partly_approved"),
            "rejected",
            _("Reject"),
            allow=may_decide,
            sla="stop",
            note_required=True,
        ),
        Transition(
            "withdraw",
            ("pending", "partly_approved"),
            "withdrawn",
            _("Withdraw"),
            allow=_requester,
            sla="stop",
        ),
    ],
    sla_days=lambda _request: settings.SHARING_DECISION_DAYS,
)

GRANT_FLOW = Workflow(
    name="sharing.grant",
    states={
        "active": pgettext_lazy("grant state", "active"),
        "suspended": pgettext_lazy("grant state", "suspended"),
        "revoked": pgettext_lazy("grant state", "revoked"),
        "expired": pgettext_lazy("grant state", "expired"),
    },
    initial="active",
    transitions=[
        Transition("suspend", ("active",), "suspended", _("Suspend"), allow=may_decide, note_required=True),
        Transition("resume", ("suspended",), "active", _("Resume"), allow=may_decide),
        Transition(
            "revoke", ("active", "suspended"), "revoked", _("Revoke"), allow=may_decide, note_required=True
        ),
        # Taken by the hourly task only (via="sharing"): no one holds it.
        Transition("expire", ("active", "suspended"), "expired", _("Expire")),
    ],
)

OBJECTION_FLOW = Workflow(
    name="sharing.objection",
    states={
        "open": pgettext_lazy("objection state", "open"),
        "answered": pgettext_lazy("objection state", "answered"),
        "withdrawn": pgettext_lazy("objection state", "withdrawn"),
    },
    initial="open",
    transitions=[
        Transition(
            "answer", ("open",), "answered", _("Answer"), "sharing.approve", sla="stop", note_required=True
        ),
        Transition("withdraw", ("open",), "withdrawn", _("Withdraw"), allow=_raiser, sla="stop"),
    ],
    sla_days=lambda _objection: settings.SHARING_OBJECTION_DAYS,
)
