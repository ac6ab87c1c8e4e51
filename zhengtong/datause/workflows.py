"""Lifecycles of data requests, error reports and reuses (time limits in working days)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.core.workflow import Transition, Workflow


def _is_requester(obj, actor) -> bool:
    return actor is not None and obj.requester_id == getattr(actor, "pk", None)


def _is_submitter(obj, actor) -> bool:
    return actor is not None and obj.submitter_id == getattr(actor, "pk", None)


REQUEST_FLOW = Workflow(
    name="datause.request",
    states={
        "submitted": _("awaiting an answer"),
        "answered": _("answered"),
        "fulfilled": _("data published"),
        "withdrawn": _("withdrawn"),
    },
    initial="submitted",
    transitions=[
        Transition("answer", ("submitted",), "answered", _("Answer"), "datause.answer", sla="stop"),
        Transition("fulfil", ("answered",), "fulfilled", _("Data published"), "datause.answer"),
        Transition("withdraw", ("submitted",), "withdrawn", _("Withdraw"), allow=_is_requester, sla="stop"),
    ],
    sla_days=lambda obj: settings.DATAUSE_REQUEST_DAYS,
)

ERROR_REPORT_FLOW = Workflow(
    name="datause.error_report",
    states={"open": _("awaiting correction"), "resolved": _("corrected"), "rejected": _("not an error")},
    initial="open",
    transitions=[
        Transition("resolve", ("open",), "resolved", _("Corrected"), "datause.answer", sla="stop"),
        Transition(
            "reject",
            ("open",),
            "rejected",
            _("Not an error"),
            "datause.answer",
            sla="stop",
            note_required=True,
        ),
    ],
    sla_days=lambda obj: settings.DATAUSE_ERROR_REPORT_DAYS,
)

REUSE_FLOW = Workflow(
    name="datause.reuse",
    states={
        "submitted": _("awaiting review"),
        "published": _("published"),
        "rejected": _("not published"),
        "withdrawn": _("withdrawn"),
    },
    initial="submitted",
    transitions=[
        Transition("publish", ("submitted",), "published", _("Publish"), "datause.review"),
        Transition("reject", ("submitted",), "rejected", _("Reject"), "datause.review", note_required=True),
        Transition(
            "withdraw",
            ("submitted", "published"),
            "withdrawn",
            _("Withdraw"),
            "datause.review",
            allow=_is_submitter,
        ),
    ],
)
