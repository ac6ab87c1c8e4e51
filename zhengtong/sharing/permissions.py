"""Permissions of the sharing module and the roles that hold them (accounts.roles is the one place)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role

PERMISSIONS = {
    "sharing.view": _("See sharing attributes, grants and the exchange log of one's scope"),
    "sharing.manage": _("Set the sharing attributes of one's department's resources"),
    "sharing.request": _("Request another department's data for one's department"),
    "sharing.approve": _("Decide sharing requests for one's department's data; suspend and revoke grants"),
    "sharing.approve_sensitive": _("Approve sharing of L3–L4 data as the data security officer"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    extend_role("data_publisher", {"sharing.view", "sharing.manage", "sharing.request", "sharing.approve"})
    extend_role("data_officer", {"sharing.view", "sharing.approve_sensitive"})
    extend_role("counter_staff", {"sharing.view", "sharing.request"})
    register_role(
        "sharing_admin",
        _("Data-sharing administrator (department)"),
        {"sharing.view", "sharing.manage", "sharing.approve", "sharing.request"},
        _(
            "Sets the sharing attributes of the department's data and decides other departments' requests for it."
        ),
    )
