"""The case (办件) workflow: 行政许可法 §32 acceptance, a configured review chain, decision, 办结.

The SLA clock (promised limit, working days) starts at submission, pauses while the applicant
corrects (补正) and stops at the end. A case with a fee stays "submitted" until its bill is paid
(the ``pay`` step comes from the payments module's on_paid hook); acceptance is refused before.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core.calendar import working_days_between
from zhengtong.core.workflow import Transition, Workflow, timeline


def _is_applicant(obj, actor) -> bool:
    return actor is not None and obj.applicant_id == getattr(actor, "pk", None)


def _nobody(obj, actor) -> bool:
    return False


def _paid(obj, actor, data) -> str | None:
    if obj.fee_fen and obj.paid_at is None:
        return _gettext("the fee has not been paid yet: the case cannot move on")
    return None


def _nothing_owed(obj, actor, data) -> str | None:
    if obj.owed_until is not None:
        return _gettext("owed materials (容缺) have not all arrived: the case cannot be decided yet")
    return None


def _owed_overdue(obj, actor, data) -> str | None:
    if obj.owed_until is None or obj.owed_until >= timezone.localdate():
        return _gettext("the owed materials are not overdue")
    return None


def _correction_in_time(obj, actor, data) -> str | None:
    # 行政许可法 §32: incomplete materials are notified once, within 5 days of receipt (of the
    # application, or of its corrected version); later the application counts as accepted.
    received = [e.at for e in timeline(obj) if e.transition in ("submit", "resubmit")]
    if not received:
        return None
    day = timezone.localtime(received[-1]).date()
    limit = settings.SERVICES_CORRECTION_NOTICE_DAYS
    if working_days_between(day, timezone.localdate()) > limit:
        return _gettext(
            "more than %(n)d working days have passed since the application arrived: a correction "
            "can no longer be requested, the application counts as accepted (行政许可法 §32)"
        ) % {"n": limit}
    return None


OPEN_STATES = ("submitted", "accepted", "correction_requested", "approved")
FINAL_STATES = ("refused", "rejected", "completed", "withdrawn", "terminated", "voided", "revoked")

CASE_FLOW = Workflow(
    name="services.case",
    states={
        "submitted": _("submitted"),
        "correction_requested": _("correction requested"),
        "accepted": _("accepted, under review"),
        "refused": _("not accepted"),
        "approved": _("approved"),
        "rejected": pgettext_lazy("case state", "rejected"),
        "completed": _("completed"),
        "withdrawn": _("withdrawn"),
        "terminated": _("terminated: owed material not supplied"),
        # 告知承诺制: a commitment found false ends the case, or revokes its decision.
        "voided": _("terminated: false commitment"),
        "revoked": _("decision revoked: false commitment"),
    },
    initial="submitted",
    transitions=[
        # Taken only by the platform when the payments module confirms the bill (no role holds it).
        Transition("pay", ("submitted",), "submitted", _("Fee paid"), "services.confirm_payment"),
        Transition("accept", ("submitted",), "accepted", _("Accept (受理)"), "services.accept", guard=_paid),
        Transition(
            "refuse",
            ("submitted",),
            "refused",
            _("Do not accept (不予受理)"),
            "services.accept",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "request_correction",
            ("submitted",),
            "correction_requested",
            _("Request correction (补正)"),
            "services.accept",
            sla="pause",
            note_required=True,
            guard=_correction_in_time,
        ),
        Transition(
            "send_back",
            ("accepted",),
            "correction_requested",
            _("Send back for correction"),
            "services.review",
            sla="pause",
            note_required=True,
        ),
        Transition(
            "resubmit",
            ("correction_requested",),
            "submitted",
            _("Resubmit corrected application"),
            allow=_is_applicant,
            sla="resume",
        ),
        Transition(
            "withdraw",
            ("submitted", "correction_requested"),
            "withdrawn",
            _("Withdraw application"),
            allow=_is_applicant,
            sla="stop",
        ),
        Transition("sign", ("accepted",), "accepted", _("Review opinion"), "services.review"),
        Transition(
            "approve", ("accepted",), "approved", _("Approve"), "services.review", guard=_nothing_owed
        ),
        # 容缺受理: the applicant supplies owed materials; the deadline passing ends the case.
        Transition("supply", ("accepted",), "accepted", _("Owed material supplied"), allow=_is_applicant),
        Transition(
            "terminate",
            ("accepted",),
            "terminated",
            _("Terminate: owed material not supplied"),
            "services.accept",
            sla="stop",
            guard=_owed_overdue,
        ),
        Transition(
            "reject",
            ("accepted",),
            "rejected",
            _("Reject"),
            "services.review",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "complete", ("approved",), "completed", _("Complete (办结)"), "services.review", sla="stop"
        ),
        # 告知承诺制 (services.commitments.check_find_false): ended before the decision, or the
        # decision revoked after it.
        Transition(
            "void",
            ("submitted", "accepted", "approved", "correction_requested"),
            "voided",
            _("Terminate: false commitment"),
            "services.review",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "revoke",
            ("completed",),
            "revoked",
            _("Revoke the decision: false commitment"),
            "services.review",
            note_required=True,
        ),
        # 秒批 / 免申即享: decided by published rules over verified data, without a person; taken
        # only through services.autodecide (via="services"), never by a role.
        Transition(
            "decide_auto",
            ("submitted",),
            "completed",
            _("Decided automatically (秒批)"),
            allow=_nobody,
            sla="stop",
        ),
    ],
    # The promised time limit of the item version; services.case_submit starts the clock before
    # the row is written (``start_clock``: one query fewer per submission); no transition restarts it.
    sla_days=lambda case: case.item_version.promised_days,
)

# What the staff pages offer as buttons (sign/approve/pay/complete are taken by services).
STAFF_BUTTONS = ("accept", "request_correction", "refuse", "send_back")
