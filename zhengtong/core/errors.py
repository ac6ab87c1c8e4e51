"""The few domain exceptions every module raises; mapped once to HTTP responses.

Body shape (DESIGN.md): {"error": {"code": "...", "message": "...", "details": {...}}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """A module's error codes: one enum per module, in ``<app>/errors.py``, each member a code
    with the sentence that explains when it is sent (``docs/api.md`` lists them all; a test checks
    the two agree, and that no service raises a code that is not a member)::

        class CatalogError(ErrorCode):
            NOT_DRAFT = "not_draft", "the resource is not a draft"

    A member is a ``str``: it compares equal to its code and serializes as it."""

    def __new__(cls, value: str, description: str = "") -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


class CoreError(ErrorCode):
    """Codes every module may send (the domain exceptions' defaults and the shared mechanisms')."""

    BAD_REQUEST = "bad_request", "the request cannot be processed as sent"
    VALIDATION_ERROR = (
        "validation_error",
        "input breaks a rule; details.fields maps each field to its messages",
    )
    NOT_FOUND = "not_found", "no such object, or not in your scope"
    PERMISSION_DENIED = "permission_denied", "you lack the permission at that org unit"
    AUTHENTICATION_REQUIRED = "authentication_required", "no session and no Authorization header"
    CONFLICT = "conflict", "the object's state does not allow the action"
    RATE_LIMITED = "rate_limited", "too many requests; Retry-After says when to try again"
    INVALID_TRANSITION = "invalid_transition", "the workflow state does not allow the action"
    STALE_VERSION = "stale_version", "someone changed the object since the version you sent"
    GUARD_FAILED = "guard_failed", "a workflow rule forbids the action now"
    DUPLICATE = "duplicate", "the object exists already"
    HTTP_ERROR = "http_error", "an HTTP-level error (e.g. the CSRF check for a session)"
    SERVER_ERROR = "server_error", "an unexpected error on our side; it is logged, the body names no detail"


class ZhengtongError(Exception):
    status = 400
    code: str = CoreError.BAD_REQUEST

    def __init__(self, message: str, *, code: ErrorCode | None = None, details: dict[str, Any] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.details = details or {}

    def as_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationError(ZhengtongError):
    """Input broke a rule. ``fields`` maps a field name to the messages naming the rule."""

    status = 422
    code = CoreError.VALIDATION_ERROR

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str] | str] | None = None, **kw):
        normalised = {
            k: [str(m) for m in (v if isinstance(v, list | tuple) else [v])]
            for k, v in (fields or {}).items()
        }
        if message is None:
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in normalised.items()) or "invalid input"
        details = kw.pop("details", None) or {}
        if normalised:
            details = {**details, "fields": normalised}
        super().__init__(message, details=details, **kw)
        self.fields = normalised

    @classmethod
    def for_field(cls, field: str, message: str, **kw) -> ValidationError:
        return cls(f"{field}: {message}", fields={field: [message]}, **kw)


class NotFound(ZhengtongError):
    status = 404
    code = CoreError.NOT_FOUND


class PermissionDenied(ZhengtongError):
    status = 403
    code = CoreError.PERMISSION_DENIED


class AuthenticationRequired(ZhengtongError):
    status = 401
    code = CoreError.AUTHENTICATION_REQUIRED


class Conflict(ZhengtongError):
    """Someone else changed the object first, or the object's state does not allow the action."""

    status = 409
    code = CoreError.CONFLICT


class RateLimited(ZhengtongError):
    """Too many requests. ``retry_after`` (seconds, from ``details["retry_after"]``) is sent as
    the ``Retry-After`` header of every 429 response; None when the caller cannot say."""

    status = 429
    code = CoreError.RATE_LIMITED

    @property
    def retry_after(self) -> int | None:
        value = self.details.get("retry_after")
        return int(value) if value is not None else None


def retry_after_header(exc: ZhengtongError) -> dict[str, str]:
    """The ``Retry-After`` header for a 429 (empty for other errors or an unknown delay)."""
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return {}
