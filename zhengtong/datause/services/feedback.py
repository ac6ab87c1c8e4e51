"""Feedback on a dataset: error reports (纠错) with a time limit and public status, a moderated
discussion, and ratings with a reason (which feed the quality score)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can_on, ensure_authenticated
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.datause.errors import DatauseError
from zhengtong.datause.models import Comment, ErrorReport, Rating
from zhengtong.datause.services.common import text, write_allowed
from zhengtong.datause.services.follows import tell

audit_actions.register(
    {
        "datause.comment.post": gettext_lazy("Post in a dataset's discussion"),
        "datause.comment.hide": gettext_lazy("Hide a message (moderation)"),
        "datause.comment.show": gettext_lazy("Show a hidden message again"),
        "datause.rating.set": gettext_lazy("Rate a dataset"),
    }
)


def published_dataset(actor: Any, resource: Any):
    """The published dataset the actor may see, or a field error."""
    try:
        found = catalog_selectors.resource_get(user=actor, name_or_id=getattr(resource, "pk", resource))
    except NotFound:
        raise ValidationError.for_field("resource", _("no such dataset")) from None
    if found.state != "published":
        raise ValidationError(
            _("feedback and reuses concern published datasets only"), code=DatauseError.NOT_PUBLISHED
        )
    return found


def error_report_file(*, actor: Any, resource: Any, description: str, location: str = "") -> ErrorReport:
    """Report an error in a published dataset; its publishers are told and must answer within
    DATAUSE_ERROR_REPORT_DAYS working days."""
    write_allowed(actor)
    dataset = published_dataset(actor, resource)
    report = ErrorReport(
        resource=dataset,
        department=dataset.department,
        org_unit=dataset.org_unit,
        reporter=actor,
        description=text("description", description, 2000),
        location=text("location", location, 200, required=False),
        state=ErrorReport.workflow.initial,
    )
    with transaction.atomic():
        ErrorReport.workflow.start_clock(report)
        report.save()
        ErrorReport.workflow.start(report, actor=actor, after={"resource": dataset.name})
        tell(
            account_selectors.holders_of(
                "datause.answer", dataset.org_unit.path, department=dataset.department_id
            ),
            event="datause.error_report",
            title=_("Error reported in %s") % dataset.title,
            body=_("Please answer by %s.") % report.sla_deadline,
            link=reverse("datause:feedback_manage"),
        )
    return report


def _close_report(actor: Any, report: ErrorReport, name: str, reply: str, expected_version: int | None):
    ensure_authenticated(actor)
    cleaned = text("reply", reply, 2000)
    with transaction.atomic():
        ErrorReport.workflow.apply(
            report,
            name,
            actor=actor,
            note=cleaned[:500],
            changes={"reply": cleaned, "closed_at": timezone.now()},
            expected_version=expected_version,
        )
        tell(
            [report.reporter],
            event="datause.error_report_answered",
            title=_("Your error report was answered"),
            body=cleaned,
            link=reverse("catalog:dataset", args=[report.resource.name]) + "#feedback",
            skip=actor,
        )
    return report


def error_report_resolve(
    *, actor: Any, report: ErrorReport, reply: str, expected_version: int | None = None
) -> ErrorReport:
    """The publisher corrected the data (datause.answer for the dataset's department)."""
    return _close_report(actor, report, "resolve", reply, expected_version)


def error_report_reject(
    *, actor: Any, report: ErrorReport, reply: str, expected_version: int | None = None
) -> ErrorReport:
    """The publisher found no error; the reply (the reason) is public."""
    return _close_report(actor, report, "reject", reply, expected_version)


def comment_post(*, actor: Any, resource: Any, body: str) -> Comment:
    write_allowed(actor)
    dataset = published_dataset(actor, resource)
    with transaction.atomic():
        comment = Comment.objects.create(resource=dataset, author=actor, body=text("body", body, 2000))
        audit.record(actor=actor, action="datause.comment.post", target=comment, org_unit=dataset.org_unit)
    return comment


def comment_moderate(*, actor: Any, comment: Comment, hide: bool, reason: str = "") -> Comment:
    """Hide a message that breaks the rules (with a reason) or show it again: the dataset's
    publishers (datause.answer) or data officers (datause.review) in its scope."""
    ensure_authenticated(actor)
    dataset = comment.resource
    if not (can_on(actor, "datause.answer", dataset) or can_on(actor, "datause.review", dataset)):
        raise PermissionDenied(_("you may not moderate this discussion"))
    cleaned = text("reason", reason, 200) if hide else ""
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(
            hidden=hide, hidden_reason=cleaned, hidden_by=actor if hide else None
        )
        comment.hidden, comment.hidden_reason = hide, cleaned
        audit.record(
            actor=actor,
            action="datause.comment.hide" if hide else "datause.comment.show",
            target=comment,
            org_unit=dataset.org_unit,
            note=cleaned,
        )
    return comment


def rating_set(*, actor: Any, resource: Any, stars: Any, reason: str) -> Rating:
    """Rate a published dataset 1 to 5 stars with a short reason; rating again replaces it."""
    write_allowed(actor)
    dataset = published_dataset(actor, resource)
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationError.for_field("stars", _("must be between 1 and 5"))
    cleaned = text("reason", reason, 200)
    with transaction.atomic():
        rating, _created = Rating.objects.update_or_create(
            resource=dataset, user=actor, defaults={"stars": stars, "reason": cleaned}
        )
        audit.record(
            actor=actor,
            action="datause.rating.set",
            target=rating,
            org_unit=dataset.org_unit,
            after={"stars": stars},
        )
    return rating
