"""How the workorders module plugs into the platform, installed once by
``WorkordersConfig.ready()``: permissions and roles, the SLA clock and escalation of work orders,
the menus."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role
from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.workorders import indicators
from zhengtong.workorders.models import WorkOrder
from zhengtong.workorders.services import escalate_overdue


def install() -> None:
    indicators.install()
    register_permissions(
        {
            "workorders.view": _("View work orders"),
            "workorders.create": _("Open work orders for others (hotline, rectification)"),
            "workorders.dispatch": _("Dispatch, reassign, merge, close and reopen work orders"),
            "workorders.handle": _("Handle and reply to work orders"),
            "workorders.callback": _("Call back requesters"),
            "workorders.manage_routing": _("Maintain work-order routing rules"),
            "workorders.supervise": _("Receive escalations of overdue work orders"),
        }
    )
    register_role(
        "hotline_operator",
        _("Hotline operator (12345)"),
        {"workorders.view", "workorders.create", "workorders.dispatch", "workorders.callback"},
        _("Takes calls, opens and dispatches work orders, calls requesters back."),
    )
    extend_role("counter_staff", {"workorders.view", "workorders.handle"})
    extend_role(
        "supervisor",
        {
            "workorders.view",
            "workorders.create",
            "workorders.dispatch",
            "workorders.handle",
            "workorders.callback",
            "workorders.manage_routing",
            "workorders.supervise",
        },
    )
    extend_role(
        "command_staff",
        {"workorders.view", "workorders.create", "workorders.dispatch", "workorders.callback"},
    )
    sla.register(WorkOrder, on_overdue=escalate_overdue)
    register_nav(
        "main",
        "workorders:mine",
        _("My consultations and complaints"),
        login_required=True,
        order=80,
        audiences=("citizen", "enterprise"),
    )
    register_nav("console", "workorders:worklist", _("Work orders"), permission="workorders.view", order=50)
    register_nav(
        "console", "workorders:call", _("Log a 12345 call"), permission="workorders.create", order=51
    )
    register_nav(
        "console",
        "workorders:analysis",
        _("12345 hotspots and trends"),
        permission="workorders.view",
        order=52,
    )
    register_nav("main", "workorders:answers", _("12345 answers"), order=81, audiences=())
