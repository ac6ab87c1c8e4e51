"""Open311 keys: accounts credentials of kind open311_key, issued and revoked by grid managers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts import credentials
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.errors import ValidationError

if TYPE_CHECKING:
    from zhengtong.accounts.models import Credential, OrgUnit

# --- Open311 keys (accounts credentials of kind open311_key) ----------------------------------


@transaction.atomic
def open311_key_create(*, actor: Any, name: str, org_unit: OrgUnit) -> tuple[Credential, str]:
    """Issue an api_key for an Open311 client; the raw key is returned once, only its digest kept."""
    ensure_can(actor, "grid.manage", org_unit)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.for_field("name", _("is required (at most 100 characters)"))
    key, raw = credentials.credential_create(
        actor=actor,
        kind=CredentialKind.OPEN311_KEY,
        name=name,
        org_unit=org_unit,
        audit_action="grid.open311_key.create",
    )
    return key, raw


@transaction.atomic
def open311_key_revoke(*, actor: Any, key: Credential) -> Credential:
    """Revoke an Open311 key of a unit in the actor's grid.manage scope."""
    if key.kind != CredentialKind.OPEN311_KEY:
        raise ValidationError.for_field("revoke", _("no such key"))
    ensure_can(actor, "grid.manage", key.org_unit)
    return credentials.credential_revoke(actor=actor, credential=key, audit_action="grid.open311_key.revoke")


def open311_key_authenticate(raw: str) -> Credential | None:
    """The live Open311 key for a raw api_key, or None."""
    return credentials.credential_authenticate(raw, kind=CredentialKind.OPEN311_KEY)
