"""Privacy controls: sunsetting a purpose and purging data past retention."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.codes.errors import CodesError
from zhengtong.codes.models import (
    Appeal,
    ColourOverride,
    Issuance,
    Purpose,
    SubjectRecord,
)
from zhengtong.core.errors import Conflict, ValidationError


def purpose_sunset(*, actor, purpose: Purpose, delete_after_days: int = 30, reason: str = "") -> Purpose:
    """Stop issuance for a purpose now, and schedule deletion of its data."""
    ensure_can(actor, "codes.manage_rules")
    if not purpose.is_active:
        raise Conflict(_("this purpose has already been sunset"), code=CodesError.PURPOSE_SUNSET)
    if not 0 <= delete_after_days <= 365:
        raise ValidationError.for_field("delete_after_days", _("between 0 and 365 days"))
    now = timezone.now()
    with transaction.atomic():
        purpose.is_active = False
        purpose.sunset_at = now
        purpose.delete_data_after = now + dt.timedelta(days=delete_after_days)
        purpose.save(update_fields=["is_active", "sunset_at", "delete_data_after"])
        Issuance.objects.filter(purpose=purpose, is_current=True).update(is_current=False)
        audit.record(
            actor=actor,
            action="codes.purpose_sunset",
            target=purpose,
            after={"purpose": purpose.code, "delete_after": purpose.delete_data_after.isoformat()},
            note=reason,
        )
    return purpose


def retention_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete expired issuance records past retention, and all data of sunset purposes past their date."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.CODES_RETENTION_DAYS)
    result = {"issuances": Issuance.objects.filter(expires_at__lt=cutoff).delete()[0]}
    purged = 0
    for purpose in Purpose.objects.filter(
        is_active=False, delete_data_after__lte=now, data_deleted_at__isnull=True
    ):
        with transaction.atomic():
            Appeal.objects.filter(purpose=purpose).delete()
            Issuance.objects.filter(purpose=purpose).delete()
            ColourOverride.objects.filter(purpose=purpose).delete()
            n = SubjectRecord.objects.filter(purpose=purpose).delete()[0]
            purpose.data_deleted_at = now
            purpose.save(update_fields=["data_deleted_at"])
            audit.record(
                actor=None,
                via="codes",
                action="codes.purpose_data_deleted",
                target=purpose,
                after={"records": n},
            )
        purged += 1
    result["purposes_deleted"] = purged
    if result["issuances"]:
        audit.record(
            actor=None,
            via="codes",
            action="codes.retention_purge",
            target_type="codes.issuance",
            target_id="",
            target_label="",
            after=result,
        )
    return result
