"""Reads of the datause module, scoped to what the user may see.

Public: requests with their requester's consent (never the requester's name), error reports'
status and answers (never the reporter), visible discussion messages, ratings, published
reuses, campaigns. Departments see the requests and reports addressed to them (datause.answer
in scope); reviewers (datause.review) the reuses awaiting review in scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can_on, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.datause.models import (
    Campaign,
    Comment,
    DataRequest,
    DatasetStatus,
    ErrorReport,
    Follow,
    Rating,
    RequestSupport,
    Reuse,
)


def _user_pk(user: Any) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def _answer_scope(user: Any) -> Q:
    if _user_pk(user) is None:
        return Q(pk__in=[])
    return scope_q(user, "datause.answer", department_field="department_id")


def public_requests() -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(public=True).exclude(state="withdrawn").select_related("department")


def request_get(*, user: Any, pk: Any) -> DataRequest:
    """A request the user may see: public, their own, or addressed to a department they answer for."""
    if not str(pk).isdigit():
        raise NotFound(_("no such data request"))
    visible = Q(public=True) | _answer_scope(user)
    if (me := _user_pk(user)) is not None:
        visible |= Q(requester_id=me)
    found = (
        DataRequest.objects.filter(visible, pk=int(pk))
        .select_related("department", "org_unit", "resource", "requester")
        .first()
    )
    if found is None:
        raise NotFound(_("no such data request"))
    return found


def may_answer(user: Any, obj: Any) -> bool:
    return _user_pk(user) is not None and can_on(user, "datause.answer", obj)


def requests_to_answer(*, user: Any) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(_answer_scope(user)).select_related("department")


def requests_of(*, user: Any) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(requester_id=_user_pk(user)).select_related("department")


def supported(*, user: Any, request: DataRequest) -> bool:
    me = _user_pk(user)
    return me is not None and RequestSupport.objects.filter(request=request, user_id=me).exists()


def follows(*, user: Any, target: str, target_id: int) -> bool:
    me = _user_pk(user)
    return me is not None and Follow.objects.filter(user_id=me, target=target, target_id=target_id).exists()


def followed(*, user: Any) -> list[Follow]:
    return list(Follow.objects.filter(user_id=_user_pk(user)).order_by("-created_at"))


def request_counts_by_department() -> list[dict]:
    """Per department: requests received, answered, answered on time, overdue, and each outcome
    (public requests only, so the figures disclose nothing private)."""
    rows = (
        DataRequest.objects.filter(public=True)
        .values("department_id", "department__name")
        .annotate(
            received=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            on_time=Count("id", filter=Q(answered_on_time=True)),
            overdue=Count("id", filter=Q(state="submitted", sla_state="overdue")),
            open=Count("id", filter=Q(outcome="open")),
            scheduled=Count("id", filter=Q(outcome="scheduled")),
            refused=Count("id", filter=Q(outcome="refused")),
            existing=Count("id", filter=Q(outcome="existing")),
            fulfilled=Count("id", filter=Q(state="fulfilled")),
        )
        .order_by("-received", "department__name")
    )
    return list(rows)


def error_reports_public(*, resource: Any) -> list[ErrorReport]:
    return list(ErrorReport.objects.filter(resource=resource).order_by("-created_at")[:50])


def error_reports_to_answer(*, user: Any) -> QuerySet[ErrorReport]:
    return ErrorReport.objects.filter(_answer_scope(user)).select_related("resource", "department")


def error_report_get(*, user: Any, pk: Any) -> ErrorReport:
    if not str(pk).isdigit():
        raise NotFound(_("no such error report"))
    found = ErrorReport.objects.select_related("resource", "reporter").filter(pk=int(pk)).first()
    if found is None:
        raise NotFound(_("no such error report"))
    return found


def comments(*, resource: Any, user: Any = None) -> list[Comment]:
    """Visible messages; moderators of the dataset also see hidden ones (marked)."""
    qs = Comment.objects.filter(resource=resource).select_related("author")
    if not (may_answer(user, resource) or (_user_pk(user) and can_on(user, "datause.review", resource))):
        qs = qs.filter(hidden=False)
    return list(qs.order_by("created_at", "id")[:200])


def comment_get(pk: Any) -> Comment:
    found = Comment.objects.select_related("resource").filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound(_("no such message"))
    return found


def rating_summary(*, resource: Any) -> dict:
    agg = Rating.objects.filter(resource=resource).aggregate(mean=Avg("stars"), n=Count("id"))
    latest = list(Rating.objects.filter(resource=resource).order_by("-modified_at")[:10])
    return {"mean": round(agg["mean"], 1) if agg["mean"] else None, "count": agg["n"], "latest": latest}


def rating_of(*, user: Any, resource: Any) -> Rating | None:
    me = _user_pk(user)
    return Rating.objects.filter(resource=resource, user_id=me).first() if me else None


def published_reuses() -> QuerySet[Reuse]:
    return Reuse.objects.filter(state="published").prefetch_related("datasets")


def reuses_of_dataset(*, resource: Any) -> list[Reuse]:
    return list(published_reuses().filter(datasets=resource).order_by("-published_at")[:50])


def reuse_get(*, user: Any, pk: Any) -> Reuse:
    """A published reuse, or any the user submitted or may review."""
    if not str(pk).isdigit():
        raise NotFound(_("no such reuse"))
    found = Reuse.objects.prefetch_related("datasets").filter(pk=int(pk)).first()
    if found is None or not (
        found.state == "published"
        or found.submitter_id == _user_pk(user)
        or (_user_pk(user) is not None and can_on(user, "datause.review", found))
    ):
        raise NotFound(_("no such reuse"))
    return found


def reuses_to_review(*, user: Any) -> QuerySet[Reuse]:
    if _user_pk(user) is None:
        return Reuse.objects.none()
    return Reuse.objects.filter(scope_q(user, "datause.review"), state="submitted").prefetch_related(
        "datasets"
    )


def reuse_counts(resource_ids: list[int]) -> dict[int, int]:
    rows = (
        Reuse.datasets.through.objects.filter(reuse__state="published", dataresource_id__in=resource_ids)
        .values("dataresource_id")
        .annotate(n=Count("reuse_id"))
    )
    return {r["dataresource_id"]: r["n"] for r in rows}


def reuse_counts_by_department() -> dict[int, int]:
    rows = (
        Reuse.datasets.through.objects.filter(reuse__state="published")
        .values("dataresource__department_id")
        .annotate(n=Count("reuse_id", distinct=True))
    )
    return {r["dataresource__department_id"]: r["n"] for r in rows}


def campaigns() -> list[Campaign]:
    return list(Campaign.objects.annotate(entries=Count("reuses", filter=Q(reuses__state="published"))))


def campaign_get(pk: Any) -> Campaign:
    found = Campaign.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound(_("no such campaign"))
    return found


def campaigns_open() -> list[Campaign]:
    return list(Campaign.objects.filter(deadline__gte=timezone.localdate()))


def status_of(*, resource: Any) -> DatasetStatus | None:
    return DatasetStatus.objects.filter(resource=resource).first()


def overdue_statuses() -> QuerySet[DatasetStatus]:
    return DatasetStatus.objects.filter(overdue_since__isnull=False).select_related("resource")


def quality_by_department() -> list[dict]:
    """Per department: datasets scored, mean quality score, overdue datasets, published reuses
    (for the cockpit and the open-data index)."""
    rows = (
        DatasetStatus.objects.filter(resource__state="published")
        .values("resource__department_id", "resource__department__name")
        .annotate(
            datasets=Count("resource_id"),
            mean=Avg("score"),
            overdue=Count("resource_id", filter=Q(overdue_since__isnull=False)),
        )
        .order_by("resource__department__name")
    )
    reuses = reuse_counts_by_department()
    return [
        {
            "department_id": r["resource__department_id"],
            "department": r["resource__department__name"],
            "datasets": r["datasets"],
            "mean_score": round(r["mean"] or 0, 1),
            "overdue": r["overdue"],
            "reuses": reuses.get(r["resource__department_id"], 0),
        }
        for r in rows
    ]
