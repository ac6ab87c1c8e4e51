"""Workflows of the 核查 task (告知承诺制) and of a transfer between counters (收受分离)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.permissions import can
from zhengtong.core.workflow import Transition, Workflow


def _competent_counter(obj, actor) -> bool:
    # The competent unit's counter (the case's unit and department) sends the result.
    return can(actor, "services.accept", obj.case.org_unit, obj.case.department)


def _receiving_counter(obj, actor) -> bool:
    # The receiving counter hands the result over (its unit; any department there).
    return can(actor, "services.accept", obj.receiving_unit)


CHECK_FLOW = Workflow(
    name="services.commitment_check",
    states={
        "open": _("to be verified"),
        "kept": _("verified: commitments true"),
        "false": _("verified: a commitment is false"),
    },
    initial="open",
    transitions=[
        Transition(
            "confirm", ("open",), "kept", _("Commitments verified true"), "services.review", sla="stop"
        ),
        Transition(
            "find_false",
            ("open",),
            "false",
            _("Commitment found false"),
            "services.review",
            sla="stop",
            note_required=True,
        ),
    ],
    sla_days=lambda check: settings.SERVICES_COMMITMENT_CHECK_DAYS,
)

TRANSFER_FLOW = Workflow(
    name="services.transfer",
    states={
        "transferred": _("transferred to the competent unit"),
        "posted": _("result posted"),
        "at_counter": _("result at the receiving counter"),
        "delivered": _("result handed over"),
    },
    initial="transferred",
    transitions=[
        Transition("post_result", ("transferred",), "posted", _("Post the result"), allow=_competent_counter),
        Transition(
            "send_to_counter",
            ("transferred",),
            "at_counter",
            _("Send the result to the receiving counter"),
            allow=_competent_counter,
        ),
        Transition(
            "hand_over", ("at_counter",), "delivered", _("Hand the result over"), allow=_receiving_counter
        ),
    ],
)
