"""Validation and limits shared by the datause services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.core import ratelimit
from zhengtong.core.errors import ValidationError

VIA = "datause"


def text(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if required and not cleaned:
        raise ValidationError.for_field(field, _("is required"))
    if len(cleaned) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    if "\x00" in cleaned:
        raise ValidationError.for_field(field, _("must not contain NUL characters"))
    return cleaned


def choice(field: str, value: Any, allowed: list[str]) -> str:
    if value not in allowed:
        raise ValidationError.for_field(field, _("must be one of %s") % ", ".join(allowed))
    return value


def write_allowed(actor: Any) -> None:
    """A signed-in user's writes here are limited per hour (DATAUSE_WRITES_PER_HOUR)."""
    ensure_authenticated(actor)
    ratelimit.hit(
        "datause.write",
        str(actor.pk),
        limit=settings.DATAUSE_WRITES_PER_HOUR,
        window_seconds=3600,
        message=_("you have written too much here in the last hour; please try again later"),
    )
