"""Manual colour overrides by authorised staff: signed with our key, audited, lifted."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.codes import cose, keys
from zhengtong.codes.errors import CodesError
from zhengtong.codes.models import (
    COLOUR_RANK,
    ColourOverride,
    Purpose,
    SigningKey,
    Subject,
)
from zhengtong.codes.services.issuance import issue
from zhengtong.codes.trust import canonical
from zhengtong.core.errors import Conflict, ValidationError


def _override_payload(o: ColourOverride) -> bytes:
    return canonical(
        {
            "subject": o.subject_id,
            "purpose": o.purpose.code,
            "colour": o.colour,
            "reason": o.reason,
            "valid_until": o.valid_until.isoformat(),
            "by": o.created_by.get_username(),
        }
    )


def override_set(*, actor, subject: Subject, purpose: Purpose, colour: str, reason: str, hours: int = 72):
    """A manual colour by authorised staff: reason required, signed with our key, audited."""
    ensure_can(actor, "codes.override", subject.org_unit)
    if colour not in COLOUR_RANK:
        raise ValidationError.for_field("colour", _("colour must be green, yellow or red"))
    if len(reason.strip()) < 5:
        raise ValidationError.for_field("reason", _("a reason of at least 5 characters is required"))
    if not 1 <= hours <= 24 * 14:
        raise ValidationError.for_field("hours", _("between 1 hour and 14 days"))
    key = keys.active_key()
    if key is None:
        raise Conflict(_("no active signing key"), code=CodesError.NO_SIGNING_KEY)
    with transaction.atomic():
        override = ColourOverride(
            subject=subject,
            purpose=purpose,
            colour=colour,
            reason=reason.strip(),
            valid_until=timezone.now() + dt.timedelta(hours=hours),
            created_by=actor,
            kid=key.kid,
        )
        override.signature = cose.sign_es256(keys.private_key(key), _override_payload(override)).hex()
        override.save()
        audit.record(
            actor=actor,
            action="codes.override_set",
            target=override,
            org_unit=subject.org_unit,
            after={"colour": colour, "purpose": purpose.code, "hours": hours},
            note=reason,
        )
        transaction.on_commit(lambda: issue(subject=subject, purpose=purpose))
    return override


def override_signature_valid(override: ColourOverride) -> bool:
    key = SigningKey.objects.filter(kid=override.kid).first()
    if key is None:
        return False
    return cose.verify_es256(
        keys.public_key(key), _override_payload(override), bytes.fromhex(override.signature)
    )


def override_lift(*, actor, override: ColourOverride, reason: str) -> ColourOverride:
    ensure_can(actor, "codes.override", override.subject.org_unit)
    if override.lifted_at is not None:
        raise Conflict(_("already lifted"), code=CodesError.ALREADY_LIFTED)
    if not reason.strip():
        raise ValidationError.for_field("reason", _("a reason is required"))
    with transaction.atomic():
        override.lifted_at = timezone.now()
        override.lifted_reason = reason.strip()[:200]
        override.save(update_fields=["lifted_at", "lifted_reason"])
        audit.record(
            actor=actor,
            action="codes.override_lift",
            target=override,
            org_unit=override.subject.org_unit,
            note=reason,
        )
        transaction.on_commit(lambda: issue(subject=override.subject, purpose=override.purpose))
    return override
