"""Error codes of the identity centre (see ``core.errors.ErrorCode``). The protocol endpoints
answer with the OAuth 2.0 / OpenID Connect error codes the RFCs name; these codes are for the
pages and the API."""

from zhengtong.core.errors import ErrorCode


class IdentityError(ErrorCode):
    CLIENT_DISABLED = "client_disabled", "the client is disabled"
    PUBLIC_CLIENT_SECRET = "public_client_secret", "a public client has no secret"
    CONSENT_REVOKED = "consent_revoked", "the authorization is revoked already"
