"""Permissions of the grid module and the roles that hold them (accounts.roles is the one place)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role

PERMISSIONS = {
    "grid.view": _("See incidents, patrols and grid cells"),
    "grid.report": _("Report incidents from the field"),
    "grid.patrol": _("Check in on patrol"),
    "grid.verify": _("Verify the disposal of an incident on site"),
    "grid.register": _("Register, reject, merge and reopen incidents"),
    "grid.dispatch": _("Dispatch, reassign, suspend and escalate incidents"),
    "grid.dispose": _("Dispose of, return or escalate dispatched incidents"),
    "grid.close": _("Close verified incidents"),
    "grid.manage": _("Manage grid cells, routing rules and Open311 keys"),
    "grid.reports": _("Produce base-level reports and enter their manual figures"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    extend_role("grid_worker", {"grid.view", "grid.report", "grid.patrol", "grid.verify", "grid.reports"})
    extend_role(
        "command_staff",
        {
            "grid.view",
            "grid.report",
            "grid.register",
            "grid.dispatch",
            "grid.dispose",
            "grid.close",
            "grid.manage",
            "grid.reports",
        },
    )
    register_role(
        "grid_handler",
        _("Incident handler (department)"),
        {"grid.view", "grid.dispose"},
        _("Disposes of incidents dispatched to their department."),
    )
