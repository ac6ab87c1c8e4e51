"""Permissions of the codes module and the role that holds them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import register_permissions, register_role
from zhengtong.audit import actions as audit_actions

PERMISSIONS = {
    "codes.view": _("See subjects, issuances, overrides and appeals of codes"),
    "codes.enter_data": _("Enter test results, trips, quarantine, arrivals and enterprise data"),
    "codes.override": _("Set or lift a manual colour (with a reason)"),
    "codes.review_appeal": _("Decide appeals and corrections of codes"),
    "codes.manage_rules": _("Publish rule sets, sunset purposes, compute risk levels and indices"),
    "codes.manage_keys": _("Create, rotate and revoke signing keys; manage trust anchors and lists"),
}

ACTIONS = {
    "codes.key_create": _("Create signing key"),
    "codes.key_retire": _("Retire signing key"),
    "codes.key_revoke": _("Revoke signing key"),
    "codes.anchor_add": _("Trust a region's anchor"),
    "codes.trustlist_import": _("Import trust list"),
    "codes.record_add": _("Enter subject record"),
    "codes.ruleset_publish": _("Publish rule set"),
    "codes.override_set": _("Set colour override"),
    "codes.override_lift": _("Lift colour override"),
    "codes.purpose_sunset": _("Sunset purpose"),
    "codes.purpose_data_deleted": _("Delete a sunset purpose's data"),
    "codes.retention_purge": _("Purge expired issuances"),
    "codes.risk_compute": _("Compute risk levels"),
    "codes.index_compute": _("Compute indices"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    audit_actions.register(ACTIONS)
    register_role(
        "codes_officer",
        _("Codes officer"),
        {"codes.view", "codes.enter_data", "codes.override", "codes.review_appeal"},
        _("Enters health data, decides overrides and appeals in their area"),
    )
    register_role(
        "codes_admin",
        _("Codes administrator"),
        set(PERMISSIONS),
        _("Publishes rules, manages keys and trust lists, computes risk levels and indices"),
    )
