"""The appeal / correction (纠错) workflow of codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.core.workflow import Transition, Workflow

APPEAL_FLOW = Workflow(
    name="codes.appeal",
    states={"submitted": _("submitted"), "upheld": _("upheld"), "rejected": _("rejected")},
    initial="submitted",
    transitions=[
        Transition(
            "uphold", ("submitted",), "upheld", _("Uphold appeal"), "codes.review_appeal", note_required=True
        ),
        Transition(
            "reject",
            ("submitted",),
            "rejected",
            _("Reject appeal"),
            "codes.review_appeal",
            note_required=True,
        ),
    ],
)
