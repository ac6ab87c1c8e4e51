"""Permissions of the cockpit module and the roles that hold them (accounts.roles is the one place)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions

PERMISSIONS = {
    "cockpit.view": _("See the cockpit of a region: indicators, maps, league tables, drill-through"),
    "cockpit.alerts": _("Receive and acknowledge the cockpit's threshold alerts"),
    "cockpit.evaluate": _("Run performance evaluations and open rectification work orders"),
    "cockpit.manage": _("Manage live feeds and recompute indicators"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    extend_role("leader", {"cockpit.view", "cockpit.alerts", "cockpit.evaluate"})
    extend_role("supervisor", {"cockpit.view", "cockpit.alerts", "cockpit.evaluate"})
    extend_role("org_admin", {"cockpit.view", "cockpit.manage"})
