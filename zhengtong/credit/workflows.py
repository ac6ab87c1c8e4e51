"""Credit repair (信用修复): submitted → approved (the record stops counting) or rejected."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.core.workflow import Transition, Workflow


def _is_applicant(obj, actor) -> bool:
    return actor is not None and obj.applicant_id == getattr(actor, "pk", None)


REPAIR_FLOW = Workflow(
    name="credit.repair",
    states={
        "submitted": _("submitted"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "withdrawn": _("withdrawn"),
    },
    initial="submitted",
    transitions=[
        Transition("approve", ("submitted",), "approved", _("Approve repair"), "credit.repair", sla="stop"),
        Transition(
            "reject",
            ("submitted",),
            "rejected",
            _("Reject repair"),
            "credit.repair",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "withdraw",
            ("submitted",),
            "withdrawn",
            _("Withdraw repair request"),
            allow=_is_applicant,
            sla="stop",
        ),
    ],
    sla_days=lambda obj: settings.CREDIT_REPAIR_DAYS,
)
