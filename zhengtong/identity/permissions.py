"""Permissions and audit actions of the identity centre, and the role that holds them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import register_permissions, register_role
from zhengtong.audit import actions as audit_actions

PERMISSIONS = {
    "identity.manage_clients": _("Register, change and disable OpenID Connect clients; rotate their secrets"),
}

ACTIONS = {
    "identity.client_create": _("Register OIDC client"),
    "identity.client_update": _("Change OIDC client redirect URIs, scopes or status"),
    "identity.client_disable": _("Disable OIDC client"),
    "identity.client_enable": _("Enable OIDC client"),
    "identity.client_secret_rotate": _("Rotate OIDC client secret"),
    "identity.authorize": _("Authorize OIDC client"),
    "identity.authorize_refused": _("Refuse OIDC authorization request"),
    "identity.consent_grant": _("Consent to OIDC client"),
    "identity.consent_revoke": _("Revoke consent to OIDC client"),
    "identity.token_issue": _("Issue OIDC tokens"),
    "identity.token_refused": _("Refuse OIDC token request"),
    "identity.token_revoke": _("Revoke OIDC token"),
    "identity.code_reused": _("Refuse a reused authorization code"),
    "identity.refresh_reused": _("Refuse a reused refresh token"),
    "identity.logout": _("Sign out through OIDC logout"),
    "identity.keys_rotate": _("Rotate OIDC signing keys"),
    "identity.data_key_issue": _("Issue scoped data API key"),
}


def install() -> None:
    register_permissions(PERMISSIONS)
    audit_actions.register(ACTIONS)
    register_role(
        "identity_admin",
        _("Identity centre administrator"),
        set(PERMISSIONS),
        _("Registers the applications that sign people in through the identity centre"),
    )
