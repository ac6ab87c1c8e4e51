"""API of 好差评 (mounted on the services router): rating a stage of one's application (web,
mobile, counter device; 12345 operators for a caller), rating through an SMS link's token, the
rater's verdict on a rectification, a department's contest of a malicious 差评 and its decision,
the public statistics and the period indicators."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.schemas import ERRORS
from zhengtong.services import evaluation, selectors, services
from zhengtong.services.models import Case

router = Router(tags=["services"])
PUBLIC_OPERATIONS = {"services_rating_stats", "services_rating_indicators", "services_rate_by_link"}


class RatingIn(Schema):
    score: int
    sub_scores: dict[str, int] = {}
    comment: str = ""
    stage: Literal["accepted", "ended"] = "ended"
    channel: Literal["web", "mobile", "counter"] = "mobile"
    reasons: list[str] = []


class RatingOut(Schema):
    id: int
    stage: str
    channel: str
    score: int
    reasons: list[str]
    state: str
    work_order_id: int | None
    staff_id: int | None
    verdict: str
    dispute: str
    excluded: bool


@router.post(
    "/applications/{int:case_id}/rating", response={201: RatingOut, **ERRORS}, operation_id="services_rate"
)
def rate(request, case_id: int, payload: RatingIn):
    """好差评: the applicant rates one stage of their application (``accepted`` once it was
    accepted, ``ended`` once it ended) 1–5, once per stage; 1–2 name reasons
    (``BAD_REASONS`` codes) and open a rectification work order."""
    case = selectors.case_for_applicant(request.auth, case_id)
    rating = services.rating_submit(
        actor=request.auth,
        case=case,
        score=payload.score,
        sub_scores=payload.sub_scores,
        comment=payload.comment,
        stage=payload.stage,
        channel=payload.channel,
        reasons=payload.reasons,
    )
    return Status(201, rating)


class HotlineRatingIn(RatingIn):
    case_number: str


@router.post("/ratings/hotline", response={201: RatingOut, **ERRORS}, operation_id="services_rate_hotline")
def rate_hotline(request, payload: HotlineRatingIn):
    """A 12345 operator records the rating a caller gives by phone for their case (the work
    orders' call-back permission in the case's area)."""
    case = Case.objects.filter(number=payload.case_number).select_related("item", "org_unit").first()
    if case is None:
        raise ValidationError.for_field("case_number", _("no such case"))
    rating = services.rating_submit(
        actor=request.auth,
        case=case,
        score=payload.score,
        sub_scores=payload.sub_scores,
        comment=payload.comment,
        stage=payload.stage,
        channel="hotline",
        reasons=payload.reasons,
    )
    return Status(201, rating)


class LinkRatingIn(Schema):
    score: int
    sub_scores: dict[str, int] = {}
    comment: str = ""
    reasons: list[str] = []


@router.post(
    "/ratings/link/{token}",
    response={201: RatingOut, **ERRORS},
    auth=None,
    operation_id="services_rate_by_link",
)
def rate_by_link(request, token: str, payload: LinkRatingIn):
    """Rate through an SMS invitation: the signed, expiring token names the case and the stage
    (no login; one rating per stage)."""
    rating = services.rating_submit_by_link(
        token=token,
        score=payload.score,
        sub_scores=payload.sub_scores,
        comment=payload.comment,
        reasons=payload.reasons,
    )
    return Status(201, rating)


class VerdictIn(Schema):
    satisfied: bool
    note: str = ""


@router.post(
    "/applications/{int:case_id}/ratings/{int:rating_id}/verdict",
    response={200: RatingOut, **ERRORS},
    operation_id="services_rating_verdict",
)
def verdict(request, case_id: int, rating_id: int, payload: VerdictIn):
    """The rater's verdict on the rectification of their 差评 (once); not satisfied sends the
    handling to a supervisor's review."""
    case = selectors.case_for_applicant(request.auth, case_id)
    rating = get_object_or_404(case.ratings, pk=rating_id)
    return services.rating_verdict(
        actor=request.auth, rating=rating, satisfied=payload.satisfied, note=payload.note
    )


class ContestIn(Schema):
    reason: str


class ContestDecisionIn(Schema):
    uphold: bool
    note: str


def _staff_rating(request, rating_id: int):
    rating = selectors.ratings_for_staff(request.auth, "services.view").filter(pk=rating_id).first()
    if rating is None:
        raise NotFound(_("no such rating in your scope"))
    return rating


@router.post(
    "/ratings/{int:rating_id}/contest",
    response={200: RatingOut, **ERRORS},
    operation_id="services_rating_contest",
)
def contest(request, rating_id: int, payload: ContestIn):
    """The case's department contests a 差评 as malicious (申诉复核)."""
    return services.rating_contest(
        actor=request.auth, rating=_staff_rating(request, rating_id), reason=payload.reason
    )


@router.post(
    "/ratings/{int:rating_id}/contest/decision",
    response={200: RatingOut, **ERRORS},
    operation_id="services_rating_contest_decide",
)
def contest_decide(request, rating_id: int, payload: ContestDecisionIn):
    """A supervisor (not the one who contested) decides; upheld excludes the rating from the
    statistics."""
    return services.rating_contest_decide(
        actor=request.auth, rating=_staff_rating(request, rating_id), uphold=payload.uphold, note=payload.note
    )


class StatsOut(Schema):
    departments: list[dict]
    items: list[dict]


@router.get(
    "/ratings/stats", response={200: StatsOut, **ERRORS}, auth=None, operation_id="services_rating_stats"
)
def rating_stats(request):
    """Public 好差评 statistics per department and per service (contested malicious ratings left out)."""
    return selectors.rating_stats()


class PeriodQuery(Schema):
    date_from: dt.date
    date_to: dt.date


class IndicatorRow(Schema):
    department_id: int | None
    department: str
    done: int
    rated: int
    participation: float | None
    first_time: int
    first_time_rate: float | None
    on_time: int
    on_time_rate: float | None
    n: int
    average: float | None
    bad: int
    rectified: int
    rectification_rate: float | None
    called: int
    callback_rate: float | None
    excluded_n: int


class IndicatorsOut(Schema):
    date_from: dt.date
    date_to: dt.date
    departments: list[IndicatorRow]
    total: IndicatorRow


@router.get(
    "/ratings/indicators",
    response={200: IndicatorsOut, **ERRORS},
    auth=None,
    operation_id="services_rating_indicators",
)
def indicators(request, q: Query[PeriodQuery]):
    """Period indicators (参评率, 一次办结率, 按时办结率, 差评整改率, 回访率; percentages) per
    department and in total, from the cases completed and the ratings given between the dates
    (at most 366 days)."""
    if q.date_to < q.date_from:
        raise ValidationError.for_field("date_to", _("must not be before date_from"))
    if (q.date_to - q.date_from).days > 366:
        raise ValidationError.for_field("date_to", _("at most 366 days after date_from"))
    data = evaluation.period_indicators(q.date_from, q.date_to)
    return {
        "date_from": data["from"],
        "date_to": data["to"],
        "departments": data["departments"],
        "total": data["total"],
    }
