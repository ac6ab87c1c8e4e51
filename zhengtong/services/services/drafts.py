"""Drafts: what an applicant typed so far, kept per form."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.core.errors import ValidationError
from zhengtong.services.models import Draft


def draft_save(*, actor: Any, key: str, data: dict[str, Any]) -> Draft:
    """Keep what the applicant typed so far (nothing is validated; nothing is lost)."""
    ensure_authenticated(actor)
    if not isinstance(data, dict) or len(str(data)) > 100_000:
        raise ValidationError.for_field("data", _("is too large"))
    draft, _created = Draft.objects.update_or_create(applicant=actor, key=key, defaults={"data": data})
    return draft


def draft_get(actor: Any, key: str) -> dict[str, Any]:
    if not getattr(actor, "is_authenticated", False):
        return {}
    draft = Draft.objects.filter(applicant=actor, key=key).first()
    return draft.data if draft else {}
