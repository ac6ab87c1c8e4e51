"""How the supervision module plugs into the platform (installed by ``SupervisionConfig.ready()``)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role
from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.supervision import tasks
from zhengtong.supervision.models import Inspection, PenaltyCase


def install() -> None:
    register_permissions(
        {
            "supervision.view": _("View supervision items, plans, inspections and penalty cases"),
            "supervision.manage": _("Maintain supervision items and enforcement officers"),
            "supervision.plan": _("Create, commit and draw random inspection plans; publish results"),
            "supervision.penalty": _("Handle administrative penalty cases"),
            "supervision.penalty_decide": _("Decide or dismiss administrative penalty cases"),
        }
    )
    register_role(
        "enforcement_officer",
        _("Enforcement officer (执法人员)"),
        {"supervision.view", "supervision.penalty", "workorders.view", "credit.view"},
        _("Inspects the targets they are drawn for and handles penalty cases."),
    )
    register_role(
        "supervision_manager",
        _("Supervision manager"),
        {
            "supervision.view",
            "supervision.manage",
            "supervision.plan",
            "supervision.penalty",
            "supervision.penalty_decide",
            "credit.view",
        },
        _("Keeps the supervision catalogue and officers, runs random inspection plans, decides penalties."),
    )
    extend_role("supervisor", {"supervision.view"})
    sla.register(Inspection)
    sla.register(PenaltyCase)
    register_periodic(
        "supervision.publicity_expire",
        tasks.publicity_expire_task,
        settings.SUPERVISION_PUBLICITY_SCAN_SECONDS,
    )
    register_nav(
        "main", "supervision:public_plans", _("Random inspections"), order=94, audiences=("enterprise",)
    )
    register_nav("console", "supervision:plans", _("Supervision"), permission="supervision.view", order=90)
    register_nav(
        "console", "supervision:my_inspections", _("My inspections"), permission="supervision.view", order=91
    )
