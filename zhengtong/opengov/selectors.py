"""Reads of the opengov module: the public catalogue and search, published requests, the
requester's own requests, staff worklists (scoped), reports, consultations, powers, 双公示."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, Q, QuerySet

from zhengtong.accounts.permissions import can_on, ensure_authenticated, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.opengov import search
from zhengtong.opengov.models import (
    AnnualReport,
    Comment,
    Consultation,
    Document,
    Guide,
    InfoRequest,
    Letter,
    Power,
    Publicity,
    RequestDocument,
)

DOC_FILTERS = ("department", "category", "topic", "validity")


def documents(*, filters: dict[str, Any] | None = None) -> QuerySet[Document]:
    """Published documents, newest first, every status (replaced and repealed ones included)."""
    qs = Document.objects.select_related("department", "org_unit", "replaced_by")
    for key, value in (filters or {}).items():
        if key in DOC_FILTERS and value not in (None, ""):
            qs = qs.filter(**{f"{key}_id" if key == "department" else key: value})
    return qs


def documents_search(
    q: str, *, filters: dict[str, Any] | None = None, limit: int = 20, offset: int = 0
) -> list[Document]:
    """Documents containing ``q`` (Chinese or Latin), ranked (title matches first)."""
    clauses, params = [], []
    for key in DOC_FILTERS:
        value = (filters or {}).get(key)
        if value not in (None, ""):
            clauses.append(f"d.{key}_id = %s" if key == "department" else f"d.{key} = %s")
            params.append(value)
    ids = search.search_ids(q, limit=limit, offset=offset, filter_sql=" AND ".join(clauses), params=params)
    by_id = Document.objects.select_related("department", "org_unit", "replaced_by").in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def document_get(pk: Any) -> Document:
    doc = Document.objects.select_related("department", "org_unit", "replaced_by").filter(pk=pk).first()
    if doc is None:
        raise NotFound("no such document")
    return doc


def catalogue_counts(department_id: int) -> dict[str, int]:
    rows = Document.objects.filter(department_id=department_id).values("category").annotate(n=Count("id"))
    return {r["category"]: r["n"] for r in rows}


def guide_for(department_id: int) -> Guide | None:
    return Guide.objects.filter(department_id=department_id).first()


def departments_with_documents() -> list[dict]:
    rows = (
        Document.objects.values("department_id", "department__name", "org_unit__name")
        .annotate(n=Count("id"))
        .order_by("org_unit__name", "department__name")
    )
    return list(rows)


# Requests --------------------------------------------------------------------


def my_requests(actor: Any) -> QuerySet[InfoRequest]:
    ensure_authenticated(actor)
    return InfoRequest.objects.filter(requester=actor).select_related("department")


def my_request(actor: Any, number: str) -> InfoRequest:
    req = my_requests(actor).filter(number=number).first()
    if req is None:
        raise NotFound("no such request")
    return req


def worklist(actor: Any, *, state: str = "", sla_state: str = "") -> QuerySet[InfoRequest]:
    qs = InfoRequest.objects.filter(
        scope_q(actor, "opengov.view", department_field="department")
    ).select_related("department", "org_unit")
    if state:
        qs = qs.filter(state=state)
    if sla_state:
        qs = qs.filter(sla_state=sla_state)
    return qs


def request_for_staff(actor: Any, number: str) -> InfoRequest:
    req = (
        InfoRequest.objects.select_related("department", "org_unit", "requester")
        .filter(number=number)
        .first()
    )
    if req is None or not can_on(actor, "opengov.view", req):
        raise NotFound("no such request")
    return req


def published_requests() -> QuerySet[InfoRequest]:
    """Answered requests whose requesters agreed to publication (never who asked)."""
    return InfoRequest.objects.filter(published_at__isnull=False).select_related("department")


def published_request(number: str) -> InfoRequest:
    req = published_requests().filter(number=number).first()
    if req is None:
        raise NotFound("no such published request")
    return req


def published_documents_of(req: InfoRequest) -> QuerySet[RequestDocument]:
    return req.documents.filter(checked_at__isnull=False)


def request_document(actor: Any, pk: Any, *, redacted: bool) -> RequestDocument:
    """A reply document for download: the original only to staff in scope; the redacted
    version to staff, the requester once replied, anyone once the request is published."""
    doc = (
        RequestDocument.objects.select_related("request", "request__department", "request__org_unit")
        .filter(pk=pk)
        .first()
    )
    if doc is None:
        raise NotFound("no such document")
    req = doc.request
    staff = getattr(actor, "is_authenticated", False) and can_on(actor, "opengov.view", req)
    if staff:
        return doc
    checked = redacted and doc.checked_at is not None
    if checked and req.published_at is not None:
        return doc
    if (
        checked
        and req.state in ("replied", "under_review")
        and req.requester_id == getattr(actor, "pk", None)
    ):
        return doc
    raise NotFound("no such document")


# Reports, consultations, mailbox, powers, 双公示 ----------------------------------


def reports_published() -> QuerySet[AnnualReport]:
    return AnnualReport.objects.filter(published_at__isnull=False).select_related("department", "org_unit")


def report_for_staff(actor: Any, pk: Any) -> AnnualReport:
    report = AnnualReport.objects.select_related("department", "org_unit").filter(pk=pk).first()
    if report is None or not can_on(actor, "opengov.publish", report):
        raise NotFound("no such report")
    return report


def report_public(pk: Any) -> AnnualReport:
    report = reports_published().filter(pk=pk).first()
    if report is None:
        raise NotFound("no such report")
    return report


def consultations_public() -> QuerySet[Consultation]:
    return Consultation.objects.exclude(state=Consultation.State.DRAFT).select_related("department")


def consultation_get(pk: Any) -> Consultation:
    c = consultations_public().filter(pk=pk).first()
    if c is None:
        raise NotFound("no such consultation")
    return c


def consultations_for_staff(actor: Any) -> QuerySet[Consultation]:
    """The consultations of the departments where ``actor`` publishes or moderates, newest first."""
    return (
        Consultation.objects.filter(
            scope_q(actor, "opengov.publish", department_field="department")
            | scope_q(actor, "opengov.moderate", department_field="department")
        )
        .select_related("department", "org_unit")
        .annotate(
            pending=Count("comments", filter=Q(comments__state=Comment.State.PENDING)),
            total=Count("comments"),
        )
        .order_by("-opens_on", "-id")
    )


def consultation_for_staff(actor: Any, pk: Any, perm: str = "opengov.publish") -> Consultation:
    """A consultation ``actor`` may change (``perm`` in its department's scope); NotFound otherwise."""
    c = Consultation.objects.select_related("department", "org_unit").filter(pk=pk).first()
    if c is None or not can_on(actor, perm, c):
        raise NotFound("no such consultation")
    return c


def comments_public(consultation: Consultation) -> QuerySet[Comment]:
    return consultation.comments.filter(state=Comment.State.PUBLISHED).select_related("article")


def comments_to_moderate(actor: Any, consultation: Consultation) -> QuerySet[Comment]:
    if not can_on(actor, "opengov.moderate", consultation):
        return Comment.objects.none()
    return consultation.comments.select_related("article", "author")


def comment_get(pk: Any) -> Comment:
    c = (
        Comment.objects.select_related("consultation", "consultation__department", "consultation__org_unit")
        .filter(pk=pk)
        .first()
    )
    if c is None:
        raise NotFound("no such comment")
    return c


def letters_public() -> QuerySet[Letter]:
    return Letter.objects.filter(publish_consent=True, replied_at__isnull=False).select_related("department")


def my_letters(actor: Any) -> QuerySet[Letter]:
    ensure_authenticated(actor)
    return Letter.objects.filter(writer=actor).select_related("department")


def powers(*, department: Any = None, power_type: str = "", life_event: str = "") -> QuerySet[Power]:
    qs = Power.objects.select_related("department", "org_unit").prefetch_related("documents")
    if department:
        qs = qs.filter(department_id=department)
    if power_type:
        qs = qs.filter(power_type=power_type)
    if life_event:
        # The JSON list as stored: PostgreSQL keeps Chinese as is, SQLite as \u escapes.
        qs = qs.filter(
            Q(life_events__icontains=f'"{life_event}"') | Q(life_events__icontains=json.dumps(life_event))
        )
    return qs


def powers_for_staff(actor: Any) -> QuerySet[Power]:
    """The powers of the departments where ``actor`` publishes the list."""
    return (
        Power.objects.filter(scope_q(actor, "opengov.publish", department_field="department"))
        .select_related("department", "org_unit")
        .order_by("department__name", "code")
    )


def power_for_staff(actor: Any, pk: Any) -> Power:
    power = (
        Power.objects.select_related("department", "org_unit")
        .prefetch_related("documents")
        .filter(pk=pk)
        .first()
    )
    if power is None or not can_on(actor, "opengov.publish", power):
        raise NotFound("no such power")
    return power


def publicity_current(*, kind: str = "", q: str = "") -> QuerySet[Publicity]:
    """Entries in publicity now (withdrawn ones are gone from every public path)."""
    qs = Publicity.objects.filter(withdrawn_at__isnull=True).select_related("department")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(party_name__contains=q) | Q(decision_number=q) | Q(decision_name__contains=q))
    return qs
