"""Every write of the identity centre, one function per use case (see the submodules)."""

from zhengtong.identity.services.authorize import authorization_refused, authorize_issue
from zhengtong.identity.services.clients import (
    client_create,
    client_disable,
    client_enable,
    client_secret_rotate,
    client_update,
    data_key_issue,
)
from zhengtong.identity.services.consents import consent_grant, consent_revoke
from zhengtong.identity.services.sessions import keys_rotate, portal_signed_out, session_logout, token_refused

__all__ = [
    "authorization_refused",
    "authorize_issue",
    "client_create",
    "client_disable",
    "client_enable",
    "client_secret_rotate",
    "client_update",
    "consent_grant",
    "consent_revoke",
    "data_key_issue",
    "keys_rotate",
    "portal_signed_out",
    "session_logout",
    "token_refused",
]
