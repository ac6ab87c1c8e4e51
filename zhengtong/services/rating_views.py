"""Pages of 好差评: rating a stage of one's case (and the verdict on a rectification), rating
through an SMS invitation's link, the public statistics with the period indicators, and the
staff's ratings (appeals, a department's contest of a malicious 差评, ratings per staff member).
Views only call selectors and services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can
from zhengtong.core.access import public, staff
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.pagination import keyset_page
from zhengtong.services import evaluation, selectors, services
from zhengtong.services.models import Case, Rating

ENDED = ("completed", "rejected", "refused")


def _scores(post) -> tuple[int, dict[str, int]]:
    subs = {k: int(post[f"sub_{k}"]) for k in services.SUB_INDICATORS if post.get(f"sub_{k}", "").isdigit()}
    score = post.get("score", "")
    return (int(score) if score.isdigit() else 0), subs


def case_rating_context(case: Case) -> dict:
    """What the applicant's case page shows of 好差评: their ratings, the stages still open to
    rating, the levels, sub-indicators and 差评 reasons."""
    ratings = list(Rating.objects.filter(case=case).order_by("id"))
    done = {r.stage for r in ratings}
    open_stages = []
    if (
        "accepted" not in done
        and case.state not in ("submitted", "refused", "withdrawn")
        and (selectors.case_was_accepted(case))
    ):
        open_stages.append(("accepted", Rating.Stage.ACCEPTED.label))
    if "ended" not in done and case.state in ENDED:
        open_stages.append(("ended", Rating.Stage.ENDED.label))
    return {
        "ratings": ratings,
        "rate_stages": open_stages,
        "can_rate": bool(open_stages),
        "levels": sorted(services.RATING_LEVELS.items(), reverse=True),
        "subs": services.SUB_INDICATORS.items(),
        "reasons": services.BAD_REASONS.items(),
    }


def case_rating_post(request, case: Case) -> None:
    """The applicant's rating or verdict posted on their case page (raises the domain errors)."""
    action = request.POST.get("action")
    if action == "rate":
        score, subs = _scores(request.POST)
        services.rating_submit(
            actor=request.user,
            case=case,
            score=score,
            sub_scores=subs,
            comment=request.POST.get("comment", ""),
            stage=request.POST.get("stage", "ended"),
            channel="web",
            reasons=request.POST.getlist("reasons"),
        )
        messages.success(request, _("Thank you for your rating."))
    elif action == "verdict":
        rating = Rating.objects.filter(case=case, pk=request.POST.get("rating", "0") or 0).first()
        if rating is None:
            raise ValidationError.for_field("rating", _("no such rating of this case"))
        choice = request.POST.get("satisfied", "")
        services.rating_verdict(
            actor=request.user,
            rating=rating,
            satisfied={"yes": True, "no": False}.get(choice, choice),
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("Thank you: your verdict was recorded."))


@public
def rate_link(request, token: str):
    """The page an SMS invitation opens: rate one stage of one case, no login needed."""
    errors: dict = {}
    try:
        case, stage = services.rating_link_read(token)
    except ValidationError as exc:
        return render(request, "services/rate_link.html", {"invalid": exc.message}, status=404)
    rated = Rating.objects.filter(case=case, stage=stage).first()
    if request.method == "POST" and rated is None:
        score, subs = _scores(request.POST)
        try:
            rated = services.rating_submit_by_link(
                token=token,
                score=score,
                sub_scores=subs,
                comment=request.POST.get("comment", ""),
                reasons=request.POST.getlist("reasons"),
            )
            messages.success(request, _("Thank you for your rating."))
            return redirect("services:rate_link", token)
        except (ValidationError, Conflict) as exc:
            errors = getattr(exc, "fields", {}) or {}
            messages.error(request, exc.message)
    return render(
        request,
        "services/rate_link.html",
        {
            "case": case,
            "stage": stage,
            "stage_label": Rating.Stage(stage).label,
            "rated": rated,
            "errors": errors,
            "levels": sorted(services.RATING_LEVELS.items(), reverse=True),
            "subs": services.SUB_INDICATORS.items(),
            "reasons": services.BAD_REASONS.items(),
        },
    )


def _period(request) -> tuple[str, dt.date, dt.date, str]:
    """The month asked for (``?month=YYYY-MM``; this month by default or when malformed)."""
    month = request.GET.get("month", "") or f"{timezone.localdate():%Y-%m}"
    try:
        first, last = evaluation.month_bounds(month)
        if not 2000 <= first.year <= 2100:
            raise ValueError
        error = ""
    except ValueError:
        error = _("month: use the form YYYY-MM, e.g. 2026-11")
        month = f"{timezone.localdate():%Y-%m}"
        first, last = evaluation.month_bounds(month)
    return month, first, last, error


@public
def ratings(request):
    stats = selectors.rating_stats()
    chart = [{"name": r["department__name"], "value": r["average"]} for r in stats["departments"]]
    month, first, last, error = _period(request)
    period = evaluation.period_indicators(first, last)
    return render(
        request,
        "services/ratings.html",
        {"stats": stats, "chart": chart, "month": month, "period": period, "month_error": error},
        status=400 if error else 200,
    )


STAFF_ACTIONS = {
    "revise": lambda user, r, post: services.rating_appeal_revise(
        actor=user, rating=r, note=post.get("note", "")
    ),
    "uphold": lambda user, r, post: services.rating_appeal_uphold(
        actor=user, rating=r, note=post.get("note", "")
    ),
    "contest": lambda user, r, post: services.rating_contest(
        actor=user, rating=r, reason=post.get("reason", "")
    ),
    "contest_uphold": lambda user, r, post: services.rating_contest_decide(
        actor=user, rating=r, uphold=True, note=post.get("note", "")
    ),
    "contest_dismiss": lambda user, r, post: services.rating_contest_decide(
        actor=user, rating=r, uphold=False, note=post.get("note", "")
    ),
}


@staff
def staff_ratings(request):
    """Ratings of the staff member's scope: the department contests a 差评; supervisors decide
    appeals and contests."""
    if request.method == "POST":
        rating = (
            selectors.ratings_for_staff(request.user, "services.view")
            .filter(pk=request.POST.get("rating", "0") if request.POST.get("rating", "").isdigit() else 0)
            .first()
        )
        try:
            action = STAFF_ACTIONS.get(request.POST.get("action", ""))
            if rating is None:
                raise ValidationError.for_field("rating", _("no such rating in your scope"))
            if action is None:
                raise ValidationError.for_field("action", _("unknown action"))
            action(request.user, rating, request.POST)
            messages.success(request, _("Done."))
        except (ValidationError, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("services:staff_ratings")
    page = keyset_page(
        selectors.ratings_for_staff(request.user, "services.view"),
        order=["-id"],
        cursor=request.GET.get("cursor"),
        limit=50,
    )
    return render(
        request,
        "services/staff_ratings.html",
        {
            "page": page,
            "by_staff": selectors.ratings_by_staff(request.user),
            "supervisor": can(request.user, "services.supervise"),
            "reasons": dict(services.BAD_REASONS),
        },
    )
