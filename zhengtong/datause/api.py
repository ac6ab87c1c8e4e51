"""The datause API: data requests, dataset feedback, reuses, quality and figures, follows."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Query, Router, Schema, Status

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core import ratelimit
from zhengtong.core.middleware import client_ip
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.datause import selectors, services
from zhengtong.datause.models import DataRequest, Reuse

router = Router(tags=["datause"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {
    "datause_requests",
    "datause_request",
    "datause_figures",
    "datause_feedback",
    "datause_reuses",
}


def _viewer(request):
    """The caller of a public operation: the session user, or None (anonymous)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _anon(request) -> None:
    if _viewer(request) is None:
        ratelimit.hit("datause.anon", client_ip(request) or "-", limit=settings.DATAUSE_ANON_RATE_PER_MINUTE)


class UsePageQuery(Schema):
    cursor: str | None = None
    limit: int | None = None


class RequestOut(Schema):
    id: int
    title: str
    description: str
    purpose: str
    format: str
    frequency: str
    department: str
    department_id: int
    state: str
    supporters: int
    sla_deadline: dt.date | None
    sla_state: str
    outcome: str
    answer: str
    answered_at: dt.datetime | None
    answered_on_time: bool | None
    planned_on: dt.date | None
    resource: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_department(obj: DataRequest) -> str:
        return obj.department.name

    @staticmethod
    def resolve_resource(obj: DataRequest) -> str | None:
        return obj.resource.name if obj.resource_id else None


class RequestPage(Schema):
    items: list[RequestOut]
    next: str | None


class RequestIn(Schema):
    title: str
    description: str
    department_id: int
    purpose: str = ""
    format: str = "any"
    frequency: str = "irregular"
    public: bool = True


class AnswerIn(Schema):
    outcome: str
    answer: str
    planned_on: dt.date | None = None
    resource: str | None = None
    version: int | None = None


class FulfilIn(Schema):
    resource: str
    version: int | None = None


@router.get("/requests", auth=None, response={200: RequestPage, **ERRORS}, operation_id="datause_requests")
def requests(request, f: Query[UsePageQuery]):
    """Public data requests, newest first (never the requester)."""
    _anon(request)
    page = keyset_page(
        selectors.public_requests().select_related("resource"),
        order=["-created_at", "-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit),
    )
    return {"items": page.items, "next": page.next_cursor}


@router.post("/requests", response={201: RequestOut, **ERRORS}, operation_id="datause_request_submit")
def request_submit(request, payload: RequestIn):
    """Ask a department to open data (title, description, purpose, format, frequency)."""
    data = payload.dict()
    created = services.request_submit(actor=request.auth, department=data.pop("department_id"), **data)
    return Status(201, created)


@router.get("/requests/{pk}", auth=None, response={200: RequestOut, **ERRORS}, operation_id="datause_request")
def request_detail(request, pk: int):
    """One open-data request, with its answer; public once published."""
    _anon(request)
    return selectors.request_get(user=_viewer(request), pk=pk)


@router.post(
    "/requests/{pk}/support", response={200: RequestOut, **ERRORS}, operation_id="datause_request_support"
)
def request_support(request, pk: int):
    """Add your support to an open-data request (once per person)."""
    return services.request_support(
        actor=request.auth, request=selectors.request_get(user=request.auth, pk=pk)
    )


@router.post(
    "/requests/{pk}/answer", response={200: RequestOut, **ERRORS}, operation_id="datause_request_answer"
)
def request_answer(request, pk: int, payload: AnswerIn):
    """The department's answer to an open-data request: outcome and reply."""
    item = selectors.request_get(user=request.auth, pk=pk)
    return services.request_answer(
        actor=request.auth,
        request=item,
        outcome=payload.outcome,
        answer=payload.answer,
        planned_on=payload.planned_on,
        resource=payload.resource,
        expected_version=payload.version,
    )


@router.post(
    "/requests/{pk}/fulfil", response={200: RequestOut, **ERRORS}, operation_id="datause_request_fulfil"
)
def request_fulfil(request, pk: int, payload: FulfilIn):
    """Mark an accepted request fulfilled by naming the published resource."""
    item = selectors.request_get(user=request.auth, pk=pk)
    return services.request_fulfil(
        actor=request.auth, request=item, resource=payload.resource, expected_version=payload.version
    )


class FigureRow(Schema):
    department_id: int
    department: str
    received: int
    answered: int
    on_time: int
    overdue: int
    open: int
    scheduled: int
    refused: int
    existing: int
    fulfilled: int


class QualityRow(Schema):
    department_id: int
    department: str
    datasets: int
    mean_score: float
    overdue: int
    reuses: int


class FiguresOut(Schema):
    requests: list[FigureRow]
    quality: list[QualityRow]


@router.get("/figures", auth=None, response={200: FiguresOut, **ERRORS}, operation_id="datause_figures")
def figures(request):
    """Per department: data requests and outcomes; quality, overdue datasets and reuses."""
    _anon(request)
    rows = [{**r, "department": r["department__name"]} for r in selectors.request_counts_by_department()]
    return {"requests": rows, "quality": selectors.quality_by_department()}


class ReportOut(Schema):
    id: int
    location: str
    description: str
    state: str
    sla_deadline: dt.date | None
    reply: str
    created_at: dt.datetime


class CommentOut(Schema):
    id: int
    body: str
    created_at: dt.datetime


class RatingsOut(Schema):
    mean: float | None
    count: int


class FeedbackOut(Schema):
    dataset: str
    score: int | None
    components: dict
    overdue: bool
    reuses: list[int]
    ratings: RatingsOut
    error_reports: list[ReportOut]
    comments: list[CommentOut]


@router.get(
    "/datasets/{name}", auth=None, response={200: FeedbackOut, **ERRORS}, operation_id="datause_feedback"
)
def feedback(request, name: str):
    """A dataset's quality score with its components, timeliness, reuses, ratings, error reports
    and visible discussion (no author names)."""
    _anon(request)
    resource = catalog_selectors.resource_get(user=_viewer(request), name_or_id=name)
    status = selectors.status_of(resource=resource)
    summary = selectors.rating_summary(resource=resource)
    return {
        "dataset": resource.name,
        "score": status.score if status else None,
        "components": status.components if status else {},
        "overdue": bool(status and status.overdue_since),
        "reuses": [r.pk for r in selectors.reuses_of_dataset(resource=resource)],
        "ratings": {"mean": summary["mean"], "count": summary["count"]},
        "error_reports": selectors.error_reports_public(resource=resource),
        "comments": [c for c in selectors.comments(resource=resource) if not c.hidden],
    }


class ReportIn(Schema):
    description: str
    location: str = ""


class CommentIn(Schema):
    body: str


class DatasetRatingIn(Schema):
    stars: int
    reason: str


class ReplyIn(Schema):
    reply: str
    resolved: bool
    version: int | None = None


class Ok(Schema):
    ok: bool


@router.post(
    "/datasets/{name}/reports", response={201: ReportOut, **ERRORS}, operation_id="datause_report_file"
)
def report_file(request, name: str, payload: ReportIn):
    """Report an error in a dataset (description and where it is)."""
    report = services.error_report_file(
        actor=request.auth, resource=name, description=payload.description, location=payload.location
    )
    return Status(201, report)


@router.post(
    "/reports/{pk}/answer", response={200: ReportOut, **ERRORS}, operation_id="datause_report_answer"
)
def report_answer(request, pk: int, payload: ReplyIn):
    """The publisher resolves or rejects an error report, with a reply."""
    ensure_authenticated(request.auth)
    report = selectors.error_report_get(user=request.auth, pk=pk)
    step = services.error_report_resolve if payload.resolved else services.error_report_reject
    return step(actor=request.auth, report=report, reply=payload.reply, expected_version=payload.version)


@router.post(
    "/datasets/{name}/comments", response={201: CommentOut, **ERRORS}, operation_id="datause_comment_post"
)
def comment_post(request, name: str, payload: CommentIn):
    """Comment on a published dataset (publishers may hide comments that break the rules)."""
    return Status(201, services.comment_post(actor=request.auth, resource=name, body=payload.body))


@router.put(
    "/datasets/{name}/rating", response={200: RatingsOut, **ERRORS}, operation_id="datause_rating_set"
)
def rating_set(request, name: str, payload: DatasetRatingIn):
    """Rate a published dataset 1 to 5 stars with a short reason (rating again replaces it); returns the new mean."""
    rating = services.rating_set(
        actor=request.auth, resource=name, stars=payload.stars, reason=payload.reason
    )
    summary = selectors.rating_summary(resource=rating.resource)
    return {"mean": summary["mean"], "count": summary["count"]}


class FollowIn(Schema):
    target: str
    target_id: int
    on: bool = True


@router.post("/follows", response={200: Ok, **ERRORS}, operation_id="datause_follow")
def follow(request, payload: FollowIn):
    """Follow (``on``) or stop following a dataset, department or visible request; idempotent."""
    services.follow_set(actor=request.auth, target=payload.target, target_id=payload.target_id, on=payload.on)
    return {"ok": payload.on}


class ReuseOut(Schema):
    id: int
    title: str
    kind: str
    url: str
    description: str
    state: str
    datasets: list[str]
    campaign_id: int | None
    theme: str
    award: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_datasets(obj: Reuse) -> list[str]:
        return [d.name for d in obj.datasets.all()]


class ReusePage(Schema):
    items: list[ReuseOut]
    next: str | None


class ReuseIn(Schema):
    title: str
    kind: str
    url: str
    description: str
    datasets: list[str]
    campaign_id: int | None = None
    theme: str = ""


class ReviewIn(Schema):
    publish: bool
    note: str = ""
    version: int | None = None


@router.get("/reuses", auth=None, response={200: ReusePage, **ERRORS}, operation_id="datause_reuses")
def reuses(request, f: Query[UsePageQuery]):
    """Published reuses (apps, articles, visualisations) of open data, newest first, keyset pages."""
    _anon(request)
    page = keyset_page(
        selectors.published_reuses(),
        order=["-published_at", "-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit),
    )
    return {"items": page.items, "next": page.next_cursor}


@router.post("/reuses", response={201: ReuseOut, **ERRORS}, operation_id="datause_reuse_submit")
def reuse_submit(request, payload: ReuseIn):
    """Submit a reuse of open data for review (title, kind, link, datasets used)."""
    campaign = selectors.campaign_get(payload.campaign_id) if payload.campaign_id else None
    created = services.reuse_submit(
        actor=request.auth,
        title=payload.title,
        kind=payload.kind,
        url=payload.url,
        description=payload.description,
        datasets=payload.datasets,
        campaign=campaign,
        theme=payload.theme,
    )
    return Status(201, created)


@router.post("/reuses/{pk}/review", response={200: ReuseOut, **ERRORS}, operation_id="datause_reuse_review")
def reuse_review(request, pk: int, payload: ReviewIn):
    """Publish or reject a submitted reuse (reviewers)."""
    ensure_can(request.auth, "datause.review")
    item = selectors.reuse_get(user=request.auth, pk=pk)
    if payload.publish:
        return services.reuse_publish(actor=request.auth, reuse=item, expected_version=payload.version)
    return services.reuse_reject(
        actor=request.auth, reuse=item, note=payload.note, expected_version=payload.version
    )
