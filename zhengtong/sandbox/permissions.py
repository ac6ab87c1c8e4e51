"""Permissions of the data sandbox and the roles that hold them (accounts.roles is the one place)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role

PERMISSIONS = {
    "sandbox.use": _("Apply for data sandbox projects and work in their workspaces"),
    "sandbox.approve": _("Approve sandbox projects over the department's datasets (data owner)"),
    "sandbox.check": _("Approve sandbox projects and check their outputs (data security officer)"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    register_role(
        "sandbox_researcher",
        _("Sandbox researcher"),
        {"sandbox.use"},
        _("Computes on raw data through approved sandbox projects without seeing it."),
    )
    extend_role("data_publisher", {"sandbox.approve"})
    extend_role("data_officer", {"sandbox.check"})
