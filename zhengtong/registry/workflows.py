"""Workflows of the registry: e-licence lifecycle and correction requests (数据纠错)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.core.workflow import Transition, Workflow

LICENCE_FLOW = Workflow(
    name="registry.licence",
    states={
        "valid": _("valid"),
        "suspended": _("suspended"),
        "revoked": _("revoked"),
        "expired": _("expired"),
    },
    initial="valid",
    transitions=[
        # "issue" is the creation of a licence (Workflow.start(action="issue")), not a transition.
        Transition(
            "suspend", ("valid",), "suspended", _("Suspend licence"), "registry.change", note_required=True
        ),
        Transition("restore", ("suspended",), "valid", _("Restore licence"), "registry.change"),
        Transition(
            "revoke",
            ("valid", "suspended"),
            "revoked",
            _("Revoke licence"),
            "registry.change",
            note_required=True,
        ),
        Transition("expire", ("valid", "suspended"), "expired", _("Mark licence expired"), "registry.change"),
    ],
)


def _is_submitter(obj, actor) -> bool:
    return actor is not None and obj.submitted_by_id == getattr(actor, "pk", None)


CORRECTION_FLOW = Workflow(
    name="registry.correction",
    states={
        "submitted": _("submitted"),
        "in_progress": _("in progress"),
        "resolved": _("corrected"),
        "rejected": pgettext_lazy("correction request state", "rejected"),
        "withdrawn": _("withdrawn"),
    },
    initial="submitted",
    transitions=[
        Transition(
            "take", ("submitted",), "in_progress", _("Take correction request"), "registry.handle_correction"
        ),
        Transition(
            "resolve",
            ("in_progress",),
            "resolved",
            _("Correct the record"),
            "registry.handle_correction",
            sla="stop",
        ),
        Transition(
            "reject",
            ("submitted", "in_progress"),
            "rejected",
            _("Reject correction request"),
            "registry.handle_correction",
            sla="stop",
            note_required=True,
        ),
        Transition(
            "withdraw",
            ("submitted",),
            "withdrawn",
            _("Withdraw correction request"),
            allow=_is_submitter,
            sla="stop",
        ),
    ],
    sla_days=lambda obj: settings.REGISTRY_CORRECTION_DAYS,
)
