"""Error codes of codes (see ``core.errors.ErrorCode``)."""

from zhengtong.core.errors import ErrorCode


class CodesError(ErrorCode):
    PURPOSE_SUNSET = "purpose_sunset", "the purpose has been sunset: no codes are issued or changed for it"
    NO_SIGNING_KEY = "no_signing_key", "the region has no active signing key"
    ALREADY_REVOKED = "already_revoked", "the signing key is revoked already"
    ALREADY_LIFTED = "already_lifted", "the override is lifted already"
    NO_ANCHOR = "no_anchor", "no trust anchor of that region is known to verify its trust list"
