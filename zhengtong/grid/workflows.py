"""The incident lifecycle (GB/T 30428.8 立案、处置和结案) on the shared workflow mechanism.

reported → registered (立案) | rejected → dispatched (派遣) → disposed (处置) → verified (核查)
→ closed (结案); with return (退回), reassign (改派), suspend/resume (the clock pauses), escalate
(上报 to the next level: overdue, or beyond a level's powers), merge (并单) and reopen.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core.workflow import Transition, Workflow


def _sla_hours(incident) -> int | None:
    """A category with a limit in hours runs an hour clock (core.sla keeps it to the second)."""
    return incident.category.sla_hours or None


def _sla_days(incident) -> int:
    """Otherwise its working days; a category with no limit at all gets a day past the due-soon
    window, as before hour clocks moved into core.sla."""
    return incident.category.sla_working_days or settings.SLA_DUE_SOON_DAYS + 2


INCIDENT_FLOW = Workflow(
    name="grid.incident",
    states={
        "reported": pgettext_lazy("incident state", "reported"),
        "registered": pgettext_lazy("incident state", "registered"),
        "rejected": pgettext_lazy("incident state", "rejected"),
        "dispatched": pgettext_lazy("incident state", "dispatched"),
        "suspended": pgettext_lazy("incident state", "suspended"),
        "disposed": pgettext_lazy("incident state", "disposed"),
        "verified": pgettext_lazy("incident state", "verified"),
        "closed": pgettext_lazy("incident state", "closed"),
        "merged": pgettext_lazy("incident state", "merged"),
    },
    initial="reported",
    transitions=[
        Transition(
            "register", ("reported",), "registered", _("Register (立案)"), "grid.register", sla="start"
        ),
        Transition(
            "reject", ("reported",), "rejected", _("Reject"), "grid.register", sla="stop", note_required=True
        ),
        Transition(
            "merge",
            ("reported", "registered"),
            "merged",
            _("Merge into another"),
            "grid.register",
            sla="stop",
        ),
        Transition("dispatch", ("registered",), "dispatched", _("Dispatch"), "grid.dispatch"),
        Transition(
            "reassign",
            ("dispatched",),
            "dispatched",
            _("Reassign (改派)"),
            "grid.dispatch",
            note_required=True,
        ),
        Transition(
            "return", ("dispatched",), "registered", _("Return (退回)"), "grid.dispose", note_required=True
        ),
        Transition(
            "escalate",
            ("registered", "dispatched"),
            "registered",
            _("Escalate to the next level"),
            "grid.dispose",
            sla="start",
            note_required=True,
        ),
        Transition(
            "suspend",
            ("dispatched",),
            "suspended",
            _("Suspend"),
            "grid.dispatch",
            sla="pause",
            note_required=True,
        ),
        Transition("resume", ("suspended",), "dispatched", _("Resume"), "grid.dispatch", sla="resume"),
        Transition("dispose", ("dispatched",), "disposed", _("Report disposal"), "grid.dispose"),
        Transition("verify", ("disposed",), "verified", _("Verify on site (核查)"), "grid.verify"),
        Transition(
            "verify_fail",
            ("disposed",),
            "dispatched",
            _("Verification failed: back to the handler"),
            "grid.verify",
            note_required=True,
        ),
        Transition("close", ("verified",), "closed", _("Close (结案)"), "grid.close", sla="stop"),
        Transition(
            "reopen",
            ("closed", "rejected"),
            "registered",
            _("Reopen"),
            "grid.register",
            sla="start",
            note_required=True,
        ),
    ],
    sla_days=_sla_days,
    sla_hours=_sla_hours,
)
