"""Roles and permissions, declared in code (one place; modules extend it).

A permission is a dotted name ("registry.view"). A role is a set of permissions. Grants give a
role to a user at an org unit (optionally one department), valid in the unit's subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, str | Promise] = {}


@dataclass
class Role:
    code: str
    label: str | Promise
    permissions: set[str] = field(default_factory=set)
    description: str | Promise = ""


ROLES: dict[str, Role] = {}


def register_permissions(perms: dict[str, str | Promise]) -> None:
    PERMISSIONS.update(perms)


def register_role(
    code: str, label: str | Promise, permissions: set[str], description: str | Promise = ""
) -> Role:
    unknown = {p for p in permissions if p != "*" and p not in PERMISSIONS}
    if unknown:
        raise ValueError(f"role {code}: unknown permissions {sorted(unknown)}")
    role = ROLES.setdefault(code, Role(code, label, set(), description))
    role.permissions |= permissions
    return role


def extend_role(code: str, permissions: set[str]) -> None:
    """Later modules add their permissions to the base roles (e.g. services adds services.accept)."""
    register_role(code, ROLES[code].label, permissions)


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code


register_permissions(
    {
        "accounts.view": _("View users and org units"),
        "accounts.manage_users": _("Manage users"),
        "accounts.grant_roles": _("Grant and revoke roles"),
        "audit.view": _("Browse the audit trail"),
        "registry.view": _("Look up registry records"),
        "registry.change": _("Create and change registry records"),
        "registry.import": _("Import registry files"),
        "registry.handle_correction": _("Handle registry correction requests"),
        "core.manage_calendar": _("Maintain the working-day calendar"),
        "core.view_outbox": _("Browse the transactional outbox"),
    }
)

register_role(
    "platform_admin", _("Platform administrator"), {"*"}, _("Everything, everywhere in the unit's subtree.")
)
register_role(
    "org_admin",
    _("Org administrator"),
    {"accounts.view", "accounts.manage_users", "accounts.grant_roles", "audit.view", "registry.view"},
)
register_role("auditor", _("Auditor"), {"audit.view", "accounts.view"})
register_role(
    "registry_clerk",
    _("Registry clerk"),
    {"registry.view", "registry.change", "registry.import", "registry.handle_correction"},
)
register_role("registry_viewer", _("Registry viewer"), {"registry.view"})
register_role("counter_staff", _("Counter staff"), {"registry.view"})
register_role("reviewer", _("Reviewer"), {"registry.view"})
register_role("supervisor", _("Supervisor"), {"registry.view", "audit.view"})
register_role("grid_worker", _("Grid worker"), {"registry.view"})
register_role("command_staff", _("Command-room staff"), {"registry.view"})
register_role("data_officer", _("Data security officer"), {"audit.view"})
register_role("leader", _("Leader"), {"audit.view"})
