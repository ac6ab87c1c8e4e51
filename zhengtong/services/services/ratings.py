"""Service ratings (好差评, 国办发〔2019〕51号, GB/T 39734/39735).

- A case is rated once per stage: after acceptance (the counter's service) and after it ended
  (the result), on a channel (counter device or QR code, web, mobile, SMS link, 12345), of the
  service and of the staff member who handled that stage.
- A 差评 (1–2) names one or more of the standard reasons and opens a rectification work order to
  the department; the work order closes only after its call-back (回访, enforced by the
  work-order flow), and the rater then gives a verdict on the rectification. Not satisfied: a
  supervisor reviews the handling (upholds it or has it revised).
- The department may contest a malicious 差评 (申诉复核); a supervisor other than the one who
  contested decides, and an upheld contest excludes the rating from every statistic.
- The invitation after acceptance and at the end goes by SMS with a signed link that expires
  with the rating window (``rating_link``); the link is the rater's credential for that case
  and stage only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, PermissionDenied, ValidationError
from zhengtong.core.workflow import timeline
from zhengtong.services.errors import ServicesError
from zhengtong.services.models import Case, Rating
from zhengtong.services.services.common import LINK_SALT, case_link, tell
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
# The reasons a 差评 names (at least one), after the evaluation contents of 国办发〔2019〕51号
# (服务态度, 办事效率, 办事指南, 办理流程, 材料, 跑动, 平台, 收费, 廉洁).
BAD_REASONS = {
    "attitude": gettext_lazy("poor attitude of the staff (服务态度差)"),
    "slow": gettext_lazy("slow or late handling (办理时间长、超时办理)"),
    "guide": gettext_lazy("guide unclear or wrong (办事指南不清晰、不准确)"),
    "process": gettext_lazy("complicated procedure (办理流程繁琐)"),
    "materials": gettext_lazy("too many or repeated materials (提交材料多、重复提交)"),
    "visits": gettext_lazy("too many visits (跑动次数多)"),
    "platform": gettext_lazy("platform hard to use (系统平台不好用)"),
    "fees": gettext_lazy("improper or unclear fees (乱收费、收费不透明)"),
    "integrity": gettext_lazy("inaction or misconduct (不作为、乱作为、吃拿卡要)"),
    "other": gettext_lazy("other (其他)"),
}
BAD = 2  # a rating at or below this is 差评
ENDED_STATES = ("completed", "rejected", "refused")
# The transitions whose actor is the staff member rated for each stage.
STAGE_STAFF = {"accepted": ("accept",), "ended": ("complete", "reject", "refuse", "approve")}


def _stage_start(case: Case, stage: str) -> tuple[dt.datetime | None, int | None]:
    """When the stage ended (the newest matching transition) and who handled it."""
    entries = [e for e in timeline(case) if e.transition in STAGE_STAFF[stage]]
    if not entries:
        return None, None
    last = max(entries, key=lambda e: e.at)
    return last.at, last.actor_id


def _clean(score, sub_scores, comment, reasons) -> tuple[dict[str, int], str, list[str]]:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError.for_field("score", _("must be 1 to 5"))
    subs: dict[str, int] = {}
    for key, value in (sub_scores or {}).items():
        if key not in SUB_INDICATORS:
            raise ValidationError.for_field(f"sub_scores.{key}", _("is not a sub-indicator"))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError.for_field(f"sub_scores.{key}", _("must be 1 to 5"))
        subs[key] = value
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError.for_field("comment", _("at most %d characters") % 2000)
    if not isinstance(reasons, list | tuple):
        raise ValidationError.for_field("reasons", _("must be a list of reason codes"))
    picked = list(dict.fromkeys(str(r) for r in reasons))
    for code in picked:
        if code not in BAD_REASONS:
            raise ValidationError.for_field("reasons", _("unknown reason “%s”") % code[:40])
    if score <= BAD:
        if not picked:
            raise ValidationError.for_field("reasons", _("a bad rating names at least one reason"))
        if not comment:
            raise ValidationError.for_field("comment", _("tell us what went wrong, so it can be put right"))
    elif picked:
        raise ValidationError.for_field("reasons", _("reasons are given only with a bad rating (1 or 2)"))
    return subs, comment, picked


def _rate(
    *,
    rater: Any,
    case: Case,
    stage: str,
    channel: str,
    score: Any,
    sub_scores: dict | None,
    comment: str,
    reasons: Any,
    actor: Any,
    via: str = "",
) -> Rating:
    if stage not in Rating.Stage.values:
        raise ValidationError.for_field("stage", _("must be accepted or ended"))
    if channel not in Rating.Channel.values:
        raise ValidationError.for_field("channel", _("must be one of %s") % ", ".join(Rating.Channel.values))
    subs, comment, picked = _clean(score, sub_scores, comment, reasons or [])
    if stage == "ended" and case.state not in ENDED_STATES:
        raise Conflict(_("a case's result is rated after it ends"), code=ServicesError.INVALID_STATE)
    at, staff_id = _stage_start(case, stage)
    if stage == "accepted" and via == "services.counter":
        # 一次一评 on site right after a counter intake: the receiving clerk's service is rated.
        at, staff_id = timezone.now(), case.submitted_by_id
    elif stage == "accepted" and at is None:
        raise Conflict(
            _("the acceptance is rated after the case is accepted"), code=ServicesError.INVALID_STATE
        )
    ended = at or case.completed_at or case.updated_at
    if (timezone.now() - ended).days > settings.SERVICES_RATING_WINDOW_DAYS:
        raise Conflict(_("the time for rating this case has passed"), code=ServicesError.RATING_CLOSED)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                case=case,
                stage=stage,
                channel=channel,
                applicant=rater,
                staff_id=staff_id,
                item=case.item,
                department=case.department,
                org_unit=case.org_unit,
                score=score,
                sub_scores=subs,
                reasons=picked,
                comment=comment,
            )
    except IntegrityError:
        raise Conflict(_("this stage of the case has been rated already"), code=CoreError.DUPLICATE) from None
    audit.record(
        actor=actor,
        action="services.rating.create",
        target=case,
        after={"score": score, "stage": stage, "channel": channel, "reasons": picked, **subs},
        via=via,
    )
    if score <= BAD:
        # Opened on the rater's behalf (a trusted internal call: they may not open a
        # rectification themselves), routed to the case's department.
        wo = work_order_open_on_behalf(
            requester=rater,
            via="services",
            kind="rectification",
            category="1101",
            title=_("Bad rating of %(item)s (case %(number)s)")
            % {"item": case.item.name, "number": case.number},
            description="; ".join([*(str(BAD_REASONS[r]) for r in picked), comment]),
            region=case.org_unit,
            department=case.department,
            source_ref=f"rating:{rating.pk}",
            due_working_days=settings.SERVICES_RECTIFICATION_DAYS,
        )
        rating.state = Rating.State.RECTIFYING
        rating.work_order_id = wo.pk
        rating.save(update_fields=["state", "work_order_id", "updated_at"])
    return rating


@transaction.atomic
def rating_submit(
    *,
    actor: Any,
    case: Case,
    score: int,
    sub_scores: dict[str, int] | None = None,
    comment: str = "",
    stage: str = "ended",
    channel: str = "web",
    reasons: list[str] | None = None,
    via: str = "",
) -> Rating:
    """A rating of one stage of a case (一事一评). The applicant rates on the web, on mobile or
    at the counter's device (their own account); a 12345 operator records a caller's rating
    (``channel="hotline"``, with the work orders' call-back permission in the case's area). A
    bad rating (1–2) names its reasons and opens a rectification work order. ``via="services.counter"``
    (``intake.counter_rate``, which checked the counter and the time): the applicant rates the
    counter service on site right after a counter intake, as the acceptance stage."""
    if channel == "sms":
        raise ValidationError.for_field("channel", _("an SMS rating comes through its link"))
    if channel == "hotline":
        ensure_can(actor, "workorders.callback", case.org_unit)
        rater = case.applicant
    else:
        if case.applicant_id != getattr(actor, "pk", None):
            raise PermissionDenied(_("only the applicant rates a case"))
        rater = actor
    return _rate(
        rater=rater,
        case=case,
        stage=stage,
        channel=channel,
        score=score,
        sub_scores=sub_scores,
        comment=comment,
        reasons=reasons,
        actor=actor,
        via=via,
    )


def rating_link_read(token: str) -> tuple[Case, str]:
    """The case and stage of a valid, unexpired invitation token; otherwise a field error."""
    try:
        data = signing.loads(
            token, salt=LINK_SALT, max_age=dt.timedelta(days=settings.SERVICES_RATING_WINDOW_DAYS)
        )
        case = Case.objects.select_related("item", "department").get(pk=int(data["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Case.DoesNotExist):
        raise ValidationError.for_field("token", _("this rating link is invalid or has expired")) from None
    if case.applicant_id != data.get("a") or data.get("s") not in Rating.Stage.values:
        raise ValidationError.for_field("token", _("this rating link is invalid or has expired"))
    return case, data["s"]


@transaction.atomic
def rating_submit_by_link(
    *,
    token: str,
    score: int,
    sub_scores: dict[str, int] | None = None,
    comment: str = "",
    reasons: list[str] | None = None,
) -> Rating:
    """A rating through the SMS invitation's link: the token names the case, the rater (its
    applicant) and the stage; no login is needed, and the link rates that stage once."""
    case, stage = rating_link_read(token)
    return _rate(
        rater=case.applicant,
        case=case,
        stage=stage,
        channel="sms",
        score=score,
        sub_scores=sub_scores,
        comment=comment,
        reasons=reasons,
        actor=case.applicant,
        via="sms-link",
    )


def on_rating_work_order_closed(work_order) -> None:
    """workorders hook: the rectification closed (after its call-back); its result and the
    call-back's satisfaction go on the rating, and the rater is asked for a verdict."""
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
        callback_satisfaction=getattr(work_order, "satisfaction", None),
        rectified_at=now,
        updated_at=now,
    )
    audit.record(
        actor=None,
        action="services.rating.rectified",
        target=rating.case,
        after={"work_order": work_order.pk, "callback": getattr(work_order, "satisfaction", None)},
    )
    tell(
        rating.applicant,
        "services.rating.rectified",
        _("Your rating of case %s was followed up: tell us whether it was put right") % rating.case.number,
        str(result)[:500],
        case_link(rating.case),
    )


@transaction.atomic
def rating_verdict(*, actor: Any, rating: Rating, satisfied: Any, note: str = "") -> Rating:
    """The rater's verdict on the rectification of their 差评, once. Not satisfied (with the
    reason) sends the handling to a supervisor's review (申诉复核 by the rater)."""
    if rating.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the rater gives the verdict"))
    if not isinstance(satisfied, bool):
        raise ValidationError.for_field("satisfied", _("must be true or false"))
    note = (note or "").strip()
    if not satisfied and not note:
        raise ValidationError.for_field("note", _("say what was not put right"))
    if len(note) > 2000:
        raise ValidationError.for_field("note", _("at most %d characters") % 2000)
    changes: dict[str, Any] = {
        "verdict": Rating.Verdict.SATISFIED if satisfied else Rating.Verdict.UNSATISFIED,
        "verdict_at": timezone.now(),
        "updated_at": timezone.now(),
    }
    if not satisfied:
        changes.update(state=Rating.State.APPEALED, appeal_reason=note)
    updated = Rating.objects.filter(pk=rating.pk, state=Rating.State.RECTIFIED, verdict="").update(**changes)
    if updated != 1:
        raise Conflict(_("a verdict is given once, on a rectified rating"), code=ServicesError.INVALID_STATE)
    audit.record(
        actor=actor,
        action="services.rating.verdict",
        target=rating.case,
        after={"rating": rating.pk, "satisfied": satisfied},
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
    """A supervisor (services.supervise) finds the rater's objection right: the handling is
    revised, with the reason; the rater is told."""
    return _appeal_decide(actor=actor, rating=rating, revise=True, note=note)


@transaction.atomic
def rating_appeal_uphold(*, actor: Any, rating: Rating, note: str) -> Rating:
    """A supervisor (services.supervise) upholds the handling under appeal, with the reason;
    the rater is told."""
    return _appeal_decide(actor=actor, rating=rating, revise=False, note=note)


@transaction.atomic
def rating_contest(*, actor: Any, rating: Rating, reason: str) -> Rating:
    """The department contests a 差评 it holds malicious (申诉复核): staff of the case's department
    and area (services.view), within ``SERVICES_RATING_CONTEST_DAYS`` days of the rating, once."""
    ensure_can(actor, "services.view", rating.org_unit, rating.department)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.for_field("reason", _("is required"))
    if len(reason) > 2000:
        raise ValidationError.for_field("reason", _("at most %d characters") % 2000)
    if rating.score > BAD:
        raise Conflict(_("only a bad rating can be contested"), code=ServicesError.INVALID_STATE)
    if (timezone.now() - rating.created_at).days > settings.SERVICES_RATING_CONTEST_DAYS:
        raise Conflict(_("the time for contesting this rating has passed"), code=ServicesError.RATING_CLOSED)
    updated = Rating.objects.filter(pk=rating.pk, dispute="").update(
        dispute=Rating.Dispute.PENDING,
        dispute_reason=reason,
        dispute_by=actor,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise Conflict(_("this rating has been contested already"), code=ServicesError.INVALID_STATE)
    audit.record(
        actor=actor, action="services.rating.contest", target=rating.case, after={"rating": rating.pk}
    )
    rating.refresh_from_db()
    return rating


@transaction.atomic
def rating_contest_decide(*, actor: Any, rating: Rating, uphold: Any, note: str) -> Rating:
    """A supervisor (services.supervise in scope, not the one who contested) decides a
    department's contest. Upheld: the rating was malicious and leaves every statistic."""
    ensure_can(actor, "services.supervise", rating.org_unit, rating.department)
    if rating.dispute_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("the one who contested a rating does not decide the contest"))
    if not isinstance(uphold, bool):
        raise ValidationError.for_field("uphold", _("must be true or false"))
    note = (note or "").strip()
    if not note:
        raise ValidationError.for_field("note", _("a reason is required for this action"))
    updated = Rating.objects.filter(pk=rating.pk, dispute=Rating.Dispute.PENDING).update(
        dispute=Rating.Dispute.UPHELD if uphold else Rating.Dispute.DISMISSED,
        dispute_result=note[:2000],
        excluded=uphold,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise Conflict(_("this rating is not contested"), code=ServicesError.INVALID_STATE)
    audit.record(
        actor=actor,
        action="services.rating.contest_decide",
        target=rating.case,
        after={"rating": rating.pk, "upheld": uphold},
    )
    rating.refresh_from_db()
    if rating.dispute_by is not None:
        tell(
            rating.dispute_by,
            "services.rating.contest",
            _("The contest of a rating of case %s was decided") % rating.case.number,
            note,
            reverse("services:staff_ratings"),
        )
    return rating
