"""The few domain exceptions every module raises; mapped once to HTTP responses.

Body shape (DESIGN.md): {"error": {"code": "...", "message": "...", "details": {...}}}
"""

from __future__ import annotations

from typing import Any


class ZhengtongError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
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
    code = "validation_error"

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
    code = "not_found"


class PermissionDenied(ZhengtongError):
    status = 403
    code = "permission_denied"


class AuthenticationRequired(ZhengtongError):
    status = 401
    code = "authentication_required"


class Conflict(ZhengtongError):
    """Someone else changed the object first, or the object's state does not allow the action."""

    status = 409
    code = "conflict"


class RateLimited(ZhengtongError):
    """Too many requests. ``retry_after`` (seconds, from ``details["retry_after"]``) is sent as
    the ``Retry-After`` header of every 429 response; None when the caller cannot say."""

    status = 429
    code = "rate_limited"

    @property
    def retry_after(self) -> int | None:
        value = self.details.get("retry_after")
        return int(value) if value is not None else None


def retry_after_header(exc: ZhengtongError) -> dict[str, str]:
    """The ``Retry-After`` header for a 429 (empty for other errors or an unknown delay)."""
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return {}
