"""Purpose-specific records staff enter about a subject (test results, arrivals, quarantine)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.codes.errors import CodesError
from zhengtong.codes.models import (
    Purpose,
    Subject,
    SubjectRecord,
)
from zhengtong.codes.services.issuance import issue
from zhengtong.core.errors import Conflict, ValidationError

RECORD_KINDS = {k.value for k in SubjectRecord.Kind}


def _validate_record(kind: str, data: dict) -> dict:
    if kind not in RECORD_KINDS:
        raise ValidationError.for_field("kind", _("unknown record kind"))
    data = dict(data or {})
    if kind == SubjectRecord.Kind.TEST_RESULT and data.get("result") not in ("positive", "negative"):
        raise ValidationError.for_field("data.result", _("result must be positive or negative"))
    if kind in (SubjectRecord.Kind.ARRIVAL, SubjectRecord.Kind.TRIP):
        region = str(data.get("region", ""))
        if not (region.isdigit() and len(region) == 6):
            raise ValidationError.for_field("data.region", _("a 6-digit county code is required"))
        data["region"] = region
    if kind == SubjectRecord.Kind.QUARANTINE and data.get("kind", "quarantine") not in (
        "quarantine",
        "isolation",
    ):
        raise ValidationError.for_field("data.kind", _("kind must be quarantine or isolation"))
    return data


def record_add(
    *, actor, subject: Subject, purpose: Purpose, kind: str, occurred_on: dt.date, data: dict, until=None
) -> SubjectRecord:
    """Staff enter a purpose-specific record; the subject's code is re-issued after commit."""
    ensure_can(actor, "codes.enter_data", subject.org_unit)
    if not purpose.is_active:
        raise Conflict(_("this purpose has been sunset"), code=CodesError.PURPOSE_SUNSET)
    data = _validate_record(kind, data)
    if until is not None and until < occurred_on:
        raise ValidationError.for_field("until", _("must not be before the date"))
    with transaction.atomic():
        record = SubjectRecord.objects.create(
            subject=subject,
            purpose=purpose,
            kind=kind,
            occurred_on=occurred_on,
            until=until,
            data=data,
            entered_by=actor,
        )
        Subject.objects.filter(pk=subject.pk).update(data_changed_at=timezone.now())
        audit.record(
            actor=actor,
            action="codes.record_add",
            target=record,
            org_unit=subject.org_unit,
            target_label=f"subject #{subject.pk}",
            after={"kind": kind, "date": occurred_on.isoformat(), "purpose": purpose.code},
        )
        transaction.on_commit(lambda: issue(subject=subject, purpose=purpose))
    return record
