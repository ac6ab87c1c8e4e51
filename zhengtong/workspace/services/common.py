"""What every workspace use case shares: input checks and audited refusals."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.workspace.errors import WorkspaceError

VIA = "workspace"
F = TypeVar("F", bound=Callable[..., Any])

# The refusals the issue names (policy, identifiers, signatory, numbering, own request, edits
# after sign-off): each is recorded on the audit trail, after the refused transaction rolled
# back, so the record says what was tried and why it was refused while nothing else changed.
AUDITED_CODES = {
    WorkspaceError.OUTSIDE_SCOPE,
    WorkspaceError.ATTACHMENT_IDENTIFIERS,
    WorkspaceError.OWN_REQUEST,
    WorkspaceError.NOT_SIGNATORY,
    WorkspaceError.ALREADY_NUMBERED,
    WorkspaceError.SIGNED_OFF,
}


def records_refusals(action: str) -> Callable[[F], F]:
    """Wrap a service function (outside its own transaction): a refusal with one of
    ``AUDITED_CODES`` is recorded as ``workspace.refused`` naming ``action``, then re-raised."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (PermissionDenied, Conflict, ValidationError) as exc:
                if exc.code in AUDITED_CODES:
                    target = next(
                        (
                            kwargs[k]
                            for k in ("document", "approval", "conversation", "message")
                            if k in kwargs
                        ),
                        None,
                    )
                    with transaction.atomic():
                        audit.record(
                            actor=kwargs.get("actor"),
                            action="workspace.refused",
                            target=target if hasattr(target, "_meta") else None,
                            after={"operation": action, "code": str(exc.code), **_safe(exc.details)},
                            note=exc.message[:500],
                        )
                raise

        return wrapper  # type: ignore[return-value]

    return decorate


def _safe(details: dict) -> dict:
    return {k: v for k, v in details.items() if k in ("kinds", "state", "user_id", "doc_number")}


def text(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    """A trimmed string of at most ``max_length`` characters (required unless told)."""
    if value is not None and not isinstance(value, str):
        raise ValidationError.for_field(field, _("must be text"))
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationError.for_field(field, _("is required"))
    if len(cleaned) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    if "\x00" in cleaned:
        raise ValidationError.for_field(field, _("must not contain NUL characters"))
    return cleaned
