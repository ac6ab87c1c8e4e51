"""OIDC access tokens as bearer tokens of /api/v1: the entry this module adds to
``accounts.services.BEARER_AUTHENTICATORS``, so the API's one bearer check accepts them with the
same answers and the same read/write rule as API tokens (``api:read`` reads, ``api:write`` also
writes). Only tokens whose audience is the platform API are accepted: a token a client got for its
own audience is refused here.

Asked for an ``entitlement`` prefix (``accounts.services.bearer_entitlements``, e.g. by the sharing
exchange endpoints), it answers the identifiers of the token's data scopes under that prefix."""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhengtong.accounts.errors import AccountsError
from zhengtong.core.errors import AuthenticationRequired, PermissionDenied
from zhengtong.identity import selectors
from zhengtong.identity.server import API_AUDIENCE

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def api_bearer(*, raw: str, method: str, entitlement: str | None = None):
    if raw.count(".") != 2:
        return None  # not a JWT: not ours
    row, values, reason = selectors.access_token_verify(raw)
    if row is None:
        raise AuthenticationRequired(reason, code=AccountsError.INVALID_TOKEN)
    if entitlement is not None:
        # The data entitlements the token carries under that prefix (``sharing:grant:<id>``):
        # whether each is still live is the owning module's check at every call.
        return [s[len(entitlement) :] for s in row.scope.split() if s.startswith(entitlement)]
    aud = values.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud or [])
    if API_AUDIENCE not in audiences:
        raise AuthenticationRequired(
            _("the access token is not for this API"), code=AccountsError.INVALID_TOKEN
        )
    if row.user is None:
        raise AuthenticationRequired(
            _("the access token acts for no person"), code=AccountsError.INVALID_TOKEN
        )
    scopes = row.scope.split()
    if method not in SAFE_METHODS and "api:write" not in scopes:
        raise PermissionDenied(
            _("this token has no “api:write” scope"), code=AccountsError.INSUFFICIENT_SCOPE
        )
    return row.user
