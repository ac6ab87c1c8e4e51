"""Service ratings (好差评, GB/T 39734): one rating per ended case, rectification of bad ratings
through a work order, and appeals of the handling."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, PermissionDenied, ValidationError
from zhengtong.services.errors import ServicesError
from zhengtong.services.models import Case, Rating
from zhengtong.services.services.common import case_link, tell
from zhengtong.workorders.services import work_order_open_on_behalf

RATING_LEVELS = {
    5: gettext_lazy("very satisfied (非常满意)"),
    4: gettext_lazy("satisfied (满意)"),
    3: gettext_lazy("fair (基本满意)"),
    2: gettext_lazy("dissatisfied (不满意)"),
    1: gettext_lazy("very dissatisfied (非常不满意)"),
}
# GB/T 39734 online sub-indicators (整体满意度 is the overall score).
SUB_INDICATORS = {
    "efficiency": gettext_lazy("efficiency (办事效率)"),
    "guide_accuracy": gettext_lazy("accuracy of the guide (办事指南精确度)"),
    "convenience": gettext_lazy("convenience (办事便捷度)"),
    "usability": gettext_lazy("ease of use of the platform (平台操作性)"),
}


@transaction.atomic
def rating_submit(
    *,
    actor: Any,
    case: Case,
    score: int,
    sub_scores: dict[str, int] | None = None,
    comment: str = "",
    via: str = "",
) -> Rating:
    """The applicant rates a completed case once (一事一评). A bad rating (1–2) opens a
    rectification work order to the department, with a deadline, call-back and result.
    ``via="services.counter"``: the applicant rates the counter service on site, right after a
    counter intake (``intake.counter_rate`` checked the counter and the time), before the end."""
    if case.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the applicant rates a case"))
    if case.state not in ("completed", "rejected", "refused") and via != "services.counter":
        raise Conflict(_("a case is rated after it ends"), code=ServicesError.INVALID_STATE)
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError.for_field("score", _("must be 1 to 5"))
    subs: dict[str, int] = {}
    for key, value in (sub_scores or {}).items():
        if key not in SUB_INDICATORS:
            raise ValidationError.for_field(f"sub_scores.{key}", _("is not a sub-indicator"))
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError.for_field(f"sub_scores.{key}", _("must be 1 to 5"))
        subs[key] = value
    comment = (comment or "").strip()
    if score <= 2 and not comment:
        raise ValidationError.for_field("comment", _("tell us what went wrong, so it can be put right"))
    if len(comment) > 2000:
        raise ValidationError.for_field("comment", _("at most %d characters") % 2000)
    ended = case.completed_at or case.updated_at
    if (timezone.now() - ended).days > settings.SERVICES_RATING_WINDOW_DAYS:
        raise Conflict(_("the time for rating this case has passed"), code=ServicesError.RATING_CLOSED)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                case=case,
                applicant=actor,
                item=case.item,
                department=case.department,
                org_unit=case.org_unit,
                score=score,
                sub_scores=subs,
                comment=comment,
            )
    except IntegrityError:
        raise Conflict(_("this case has been rated already"), code=CoreError.DUPLICATE) from None
    audit.record(
        actor=actor, via=via, action="services.rating.create", target=case, after={"score": score, **subs}
    )
    if score <= 2:
        # Opened on the applicant's behalf (a trusted internal call: they may not open a
        # rectification themselves), routed to the case's department.
        wo = work_order_open_on_behalf(
            requester=actor,
            via="services",
            kind="rectification",
            category="government_services",
            title=_("Bad rating of %(item)s (case %(number)s)")
            % {"item": case.item.name, "number": case.number},
            description=comment,
            region=case.org_unit,
            department=case.department,
            source_ref=f"rating:{rating.pk}",
            due_working_days=settings.SERVICES_RECTIFICATION_DAYS,
        )
        rating.state = Rating.State.RECTIFYING
        rating.work_order_id = wo.pk
        rating.save(update_fields=["state", "work_order_id", "updated_at"])
    return rating


def on_rating_work_order_closed(work_order) -> None:
    """workorders hook: the rectification closed; its result goes on the rating."""
    ref = (work_order.source_ref or "").split(":", 1)[1]
    rating = Rating.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if rating is None or rating.state != Rating.State.RECTIFYING:
        return
    result = ""
    for attr in ("result", "reply", "resolution", "answer"):
        result = getattr(work_order, attr, "") or ""
        if result:
            break
    now = timezone.now()
    Rating.objects.filter(pk=rating.pk).update(
        state=Rating.State.RECTIFIED,
        rectification_result=str(result)[:4000],
        rectified_at=now,
        updated_at=now,
    )
    audit.record(
        actor=None,
        action="services.rating.rectified",
        target=rating.case,
        after={"work_order": work_order.pk},
    )
    tell(
        rating.applicant,
        "services.rating.rectified",
        _("Your rating of case %s was followed up") % rating.case.number,
        str(result)[:500],
        case_link(rating.case),
    )


@transaction.atomic
def rating_appeal(*, actor: Any, rating: Rating, reason: str) -> Rating:
    """The applicant disputes how a bad rating was handled (申诉复核)."""
    if rating.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the applicant appeals"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.for_field("reason", _("is required"))
    updated = Rating.objects.filter(pk=rating.pk, state=Rating.State.RECTIFIED).update(
        state=Rating.State.APPEALED, appeal_reason=reason[:2000], updated_at=timezone.now()
    )
    if updated != 1:
        raise Conflict(_("only a rectified rating can be appealed"), code=ServicesError.INVALID_STATE)
    audit.record(
        actor=actor, action="services.rating.appeal", target=rating.case, after={"rating": rating.pk}
    )
    rating.refresh_from_db()
    return rating


def _appeal_decide(*, actor: Any, rating: Rating, revise: bool, note: str) -> Rating:
    ensure_can(actor, "services.supervise", rating.org_unit, rating.department)
    if not (note or "").strip():
        raise ValidationError.for_field("note", _("a reason is required for this action"))
    target = Rating.State.REVISED if revise else Rating.State.UPHELD
    updated = Rating.objects.filter(pk=rating.pk, state=Rating.State.APPEALED).update(
        state=target, appeal_result=note[:2000], updated_at=timezone.now()
    )
    if updated != 1:
        raise Conflict(_("this rating is not under appeal"), code=ServicesError.INVALID_STATE)
    audit.record(
        actor=actor, action="services.rating.appeal_decide", target=rating.case, after={"state": target}
    )
    rating.refresh_from_db()
    tell(
        rating.applicant,
        "services.rating.appeal",
        _("Your appeal was reviewed"),
        note,
        case_link(rating.case),
    )
    return rating


@transaction.atomic
def rating_appeal_revise(*, actor: Any, rating: Rating, note: str) -> Rating:
    """A supervisor (services.supervise) finds the appeal right: the handling is revised
    (reopened), with the reason; the applicant is told."""
    return _appeal_decide(actor=actor, rating=rating, revise=True, note=note)


@transaction.atomic
def rating_appeal_uphold(*, actor: Any, rating: Rating, note: str) -> Rating:
    """A supervisor (services.supervise) upholds the handling under appeal, with the reason;
    the applicant is told."""
    return _appeal_decide(actor=actor, rating=rating, revise=False, note=note)
