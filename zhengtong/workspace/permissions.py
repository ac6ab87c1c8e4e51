"""Permissions of the workspace module and the roles that hold them (accounts.roles is the one
place)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import PERMISSIONS as PERMISSIONS_ALL
from zhengtong.accounts.roles import ROLES, extend_role, register_permissions, register_role

PERMISSIONS = {
    "workspace.use": _("Use the staff workspace: directory, messages, tasks"),
    "workspace.view_private_numbers": _("See staff mobile numbers in the directory"),
    "workspace.assign": _("Assign tasks (交办)"),
    "workspace.supervise": _("Supervise tasks and overdue work (督办); receive escalations"),
    "workspace.approve": _("Decide internal approval requests"),
    "workspace.approve_final": _("Give the final decision on two-step approval requests"),
    "workspace.draft": _("Draft, issue and file outgoing documents"),
    "workspace.countersign": _("Countersign outgoing documents (会签)"),
    "workspace.sign_off": _("Sign off outgoing documents (签发)"),
    "workspace.register_incoming": _("Register and route incoming documents (收文)"),
    "workspace.instruct": _("Instruct on incoming documents (批办)"),
    "workspace.knowledge_edit": _("Write knowledge-base entries"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    # Every staff role registered before this app (all roles are staff roles) uses the workspace.
    for role in [code for code, r in ROLES.items() if "*" not in r.permissions]:
        extend_role(role, {"workspace.use"})
    extend_role(
        "leader",
        {
            "workspace.use",
            "workspace.view_private_numbers",
            "workspace.assign",
            "workspace.supervise",
            "workspace.approve",
            "workspace.approve_final",
            "workspace.sign_off",
            "workspace.instruct",
        },
    )
    # Leaders supervise (督办): the view lists the overdue cases, incidents and work orders of
    # their scope, so they read those modules' lists too (nothing more: no handling rights).
    extend_role(
        "leader", {p for p in ("services.view", "grid.view", "workorders.view") if p in PERMISSIONS_ALL}
    )
    extend_role("supervisor", {"workspace.assign", "workspace.supervise", "workspace.approve"})
    register_role(
        "office_clerk",
        _("Office clerk (办公室文书)"),
        {
            "workspace.use",
            "workspace.draft",
            "workspace.register_incoming",
            "workspace.knowledge_edit",
        },
        _("Drafts, issues and files documents; registers and routes incoming ones."),
    )
    register_role(
        "department_head",
        _("Department head"),
        {
            "workspace.use",
            "workspace.assign",
            "workspace.supervise",
            "workspace.approve",
            "workspace.countersign",
            "workspace.knowledge_edit",
        },
        _("Assigns tasks, decides requests, countersigns documents for the department."),
    )
