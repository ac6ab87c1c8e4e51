"""Permissions and roles of the catalogue (declared once, at import)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import ROLES, extend_role, register_permissions, register_role

register_permissions(
    {
        "catalog.view": _("See unpublished data resources in scope"),
        "catalog.edit": _("Create data resources, load data and confirm field grades"),
        "catalog.review": _("Review data resources before publication (data security officer)"),
        "catalog.view_raw": _("See raw (not desensitized) data"),
        "catalog.manage_keys": _("Manage data users' API keys"),
        "catalog.decide_applications": _("Decide applications for conditionally open data"),
        "catalog.manage_harvest": _("Manage harvest sources and run harvests"),
    }
)

if "data_publisher" not in ROLES:
    register_role(
        "data_publisher",
        _("Data publisher"),
        {"catalog.view", "catalog.edit", "catalog.decide_applications"},
        _("Catalogues a department's data, loads it and answers data applications."),
    )
extend_role(
    "data_officer",
    {"catalog.view", "catalog.review", "catalog.view_raw", "catalog.manage_keys", "catalog.manage_harvest"},
)
