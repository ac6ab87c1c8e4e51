"""Lifecycles of plans, inspections and penalty cases. Time limits of the penalty procedure are
checked by the services (they need the calendar); the order of its steps is the workflow's."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.core.workflow import Transition, Workflow


def _is_assigned_inspector(obj, actor) -> bool:
    pk = getattr(actor, "pk", None)
    return pk is not None and obj.inspectors.filter(user_id=pk, active=True).exists()


PLAN_FLOW = Workflow(
    name="supervision.plan",
    states={
        "draft": _("draft"),
        "committed": _("committed (population and seed commitment published)"),
        "drawn": _("drawn (seed published)"),
        "closed": _("closed"),
    },
    initial="draft",
    transitions=[
        Transition("commit", ("draft",), "committed", _("Commit population and seed"), "supervision.plan"),
        Transition("draw", ("committed",), "drawn", _("Draw targets and inspectors"), "supervision.plan"),
        Transition("close", ("drawn",), "closed", _("Close plan"), "supervision.plan"),
    ],
)

INSPECTION_FLOW = Workflow(
    name="supervision.inspection",
    states={"assigned": _("assigned"), "recorded": _("recorded"), "published": _("published (公示)")},
    initial="assigned",
    transitions=[
        Transition(
            "record",
            ("assigned",),
            "recorded",
            _("Record inspection"),
            allow=_is_assigned_inspector,
            sla="start",
        ),
        Transition(
            "publish", ("recorded",), "published", _("Publish result"), "supervision.plan", sla="stop"
        ),
    ],
    sla_days=lambda obj: settings.SUPERVISION_PUBLICITY_DAYS,
)

PENALTY_FLOW = Workflow(
    name="supervision.penalty",
    states={
        "filed": _("filed (立案)"),
        "investigating": _("investigation (调查取证)"),
        "notified": _("notified (告知), may ask for a hearing"),
        "hearing": _("hearing requested (听证)"),
        "heard": _("hearing held"),
        "decided": _("decided (决定)"),
        "served": _("served (送达)"),
        "executing": _("execution (执行)"),
        "closed": _("closed (结案)"),
        "dismissed": _("dismissed (撤销立案)"),
    },
    initial="filed",
    transitions=[
        Transition(
            "investigate", ("filed",), "investigating", _("Start investigation"), "supervision.penalty"
        ),
        Transition(
            "notify", ("investigating",), "notified", _("Notify the party (告知)"), "supervision.penalty"
        ),
        Transition(
            "request_hearing", ("notified",), "hearing", _("Record hearing request"), "supervision.penalty"
        ),
        Transition("hold_hearing", ("hearing",), "heard", _("Record hearing held"), "supervision.penalty"),
        Transition(
            "decide",
            ("notified", "heard"),
            "decided",
            _("Decide (决定)"),
            "supervision.penalty_decide",
            sla="stop",
        ),
        Transition("serve", ("decided",), "served", _("Serve decision (送达)"), "supervision.penalty"),
        Transition("execute", ("served",), "executing", _("Start execution (执行)"), "supervision.penalty"),
        Transition("close", ("executing",), "closed", _("Close case (结案)"), "supervision.penalty"),
        Transition(
            "dismiss",
            ("filed", "investigating"),
            "dismissed",
            _("Dismiss (撤销立案)"),
            "supervision.penalty_decide",
            sla="stop",
            note_required=True,
        ),
    ],
    sla_days=lambda obj: settings.SUPERVISION_PENALTY_DAYS,
)
