"""Appeals and correction requests (纠错) by the subject, decided by staff."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.codes.models import (
    Appeal,
    ColourOverride,
    Issuance,
    Purpose,
    Subject,
)
from zhengtong.codes.services.issuance import issue
from zhengtong.codes.services.subjects import subject_owned_by
from zhengtong.codes.workflows import APPEAL_FLOW
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.notify.services import notify


def appeal_submit(*, actor, subject: Subject, purpose: Purpose, kind: str, text: str) -> Appeal:
    """The subject (or their representative) appeals a colour or asks for a correction (纠错)."""
    if not subject_owned_by(subject, actor):
        raise PermissionDenied(_("you may only appeal your own code"))
    if kind not in Appeal.Kind.values:
        raise ValidationError.for_field("kind", _("kind must be appeal or correction"))
    if len(text.strip()) < 5:
        raise ValidationError.for_field("text", _("please describe what is wrong (at least 5 characters)"))
    with transaction.atomic():
        appeal = Appeal.objects.create(
            subject=subject,
            purpose=purpose,
            issuance=Issuance.objects.filter(subject=subject, purpose=purpose, is_current=True).first(),
            kind=kind,
            text=text.strip()[:2000],
            org_unit=subject.org_unit,
            submitted_by=actor,
            state=APPEAL_FLOW.initial,
        )
        APPEAL_FLOW.start(appeal, actor=actor, after={"kind": kind, "purpose": purpose.code})
    return appeal


@transaction.atomic
def appeal_uphold(*, actor, appeal: Appeal, note: str) -> Appeal:
    """Uphold an appeal with a response: lifts the subject's active overrides of the purpose,
    re-issues the code after commit (while the purpose issues codes) and tells the person."""
    APPEAL_FLOW.apply(appeal, "uphold", actor=actor, note=note, changes={"response": note.strip()[:2000]})
    for o in ColourOverride.objects.filter(
        subject=appeal.subject, purpose=appeal.purpose, lifted_at__isnull=True
    ):
        o.lifted_at = timezone.now()
        o.lifted_reason = _("appeal upheld")
        o.save(update_fields=["lifted_at", "lifted_reason"])
    subject, purpose = appeal.subject, appeal.purpose
    transaction.on_commit(lambda: purpose.is_active and issue(subject=subject, purpose=purpose))
    _notify_decision(appeal, "uphold")
    return appeal


@transaction.atomic
def appeal_reject(*, actor, appeal: Appeal, note: str) -> Appeal:
    """Reject an appeal with a response (the colour stands) and tell the person."""
    APPEAL_FLOW.apply(appeal, "reject", actor=actor, note=note, changes={"response": note.strip()[:2000]})
    _notify_decision(appeal, "reject")
    return appeal


def _notify_decision(appeal: Appeal, action: str) -> None:
    """Tell the person the outcome (inbox)."""
    title = _("Your appeal was upheld") if action == "uphold" else _("Your appeal was rejected")
    notify(
        recipient=appeal.submitted_by,
        event="codes.appeal_decided",
        title=title,
        body=appeal.response,
        link=f"/codes/?purpose={appeal.purpose.code}",
    )
