"""The request-for-disclosure workflow (政府信息公开条例 §29–§36).

The clock (20 working days, ``OPENGOV_REPLY_DAYS``) starts on receipt. An unclear request is sent
back once for correction within 7 working days (§30): the clock pauses, and the period counts
afresh from the day the correction arrives (the clock restarts). Consulting a third party (§32)
pauses it and resumes it with the days that were left. One extension of 20 working days, with
notice to the requester (§33), moves the deadline; a second is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.core.calendar import working_days_between
from zhengtong.core.workflow import Transition, Workflow


def _is_requester(obj, actor) -> bool:
    return actor is not None and obj.requester_id == getattr(actor, "pk", None)


def _correction_once_in_time(obj, actor, data) -> str | None:
    if obj.correction_asked_on is not None:
        return _gettext("a correction can be asked only once")
    received = timezone.localdate(obj.created_at) if obj.created_at else None
    if received is not None and (
        working_days_between(received, timezone.localdate()) > settings.OPENGOV_CORRECTION_NOTICE_DAYS
    ):
        return _gettext("a correction must be asked within %d working days of receipt") % (
            settings.OPENGOV_CORRECTION_NOTICE_DAYS
        )
    return None


OPEN_STATES = ("received", "correction", "consulting")

REQUEST_FLOW = Workflow(
    name="opengov.request",
    states={
        "received": _("received, being handled"),
        "correction": _("waiting for the requester's correction"),
        "consulting": _("consulting a third party"),
        "replied": _("replied"),
        "under_review": _("under administrative review"),
        "withdrawn": _("withdrawn"),
    },
    initial="received",
    transitions=[
        Transition(
            "request_correction",
            ("received",),
            "correction",
            _("Ask for a correction (补正)"),
            "opengov.handle",
            guard=_correction_once_in_time,
            sla="pause",
            note_required=True,
        ),
        # §30: the period counts from the day the corrected request arrives.
        Transition(
            "correct", ("correction",), "received", _("Correct the request"), allow=_is_requester, sla="start"
        ),
        Transition(
            "consult",
            ("received",),
            "consulting",
            _("Consult a third party (征求第三方意见)"),
            "opengov.handle",
            sla="pause",
        ),
        Transition(
            "consulted",
            ("consulting",),
            "received",
            _("Third party answered"),
            "opengov.handle",
            sla="resume",
        ),
        Transition(
            "extend",
            ("received",),
            "received",
            _("Extend the time limit (延期答复)"),
            "opengov.approve_extension",
            note_required=True,
        ),
        Transition("reply", ("received",), "replied", _("Reply (答复)"), "opengov.handle", sla="stop"),
        Transition(
            "withdraw",
            ("received", "correction", "consulting"),
            "withdrawn",
            _("Withdraw the request"),
            allow=_is_requester,
            sla="stop",
        ),
        Transition(
            "request_review",
            ("replied",),
            "under_review",
            _("Ask for administrative review (行政复议)"),
            allow=_is_requester,
            note_required=True,
        ),
        Transition(
            "record_review",
            ("under_review",),
            "replied",
            _("Record the review decision"),
            "opengov.handle",
            note_required=True,
        ),
    ],
    sla_days=lambda obj: settings.OPENGOV_REPLY_DAYS,
)
