from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpResponse
from ninja import Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.core.schemas import ERRORS
from zhengtong.credit import reports, scoring, selectors, services
from zhengtong.credit.models import ListEntry

router = Router(tags=["credit"])

PUBLIC_OPERATIONS: set[str] = {"credit_model", "credit_entity", "credit_lists"}


def _limit(request) -> None:
    ratelimit.hit(
        "credit.public",
        client_ip(request) or "-",
        limit=settings.CREDIT_PUBLIC_RATE_PER_MINUTE,
        window_seconds=60,
    )


@router.get("/model", auth=None, response={200: dict, **ERRORS}, operation_id="credit_model")
def model(request):
    """The published evaluation model: base, factors with points and caps, grade floors and the
    inspection frequency per grade."""
    return scoring.published_model()


class CreditFactorOut(Schema):
    code: str
    label: str
    count: int
    points: int


class CreditListEntryOut(Schema):
    kind: str
    legal_basis: str
    reason: str
    listed_on: dt.date
    until: dt.date
    department: str

    @staticmethod
    def resolve_department(obj: ListEntry) -> str:
        return obj.department.name


class CreditEntityCreditOut(Schema):
    uscc: str
    name: str
    grade: str
    score: int | None
    model_version: str
    factors: list[CreditFactorOut]
    lists: list[CreditListEntryOut]
    bid_eligible: bool
    tolerance_acceptance: bool


@router.get(
    "/entities/{uscc}",
    auth=None,
    response={200: CreditEntityCreditOut, **ERRORS},
    operation_id="credit_entity",
)
def entity(request, uscc: str):
    """An entity's public credit: grade, score explained per factor, list entries, joint measures."""
    _limit(request)
    entity = selectors.entity_by_uscc(uscc[:18])
    score = selectors.score_of(entity)
    m = selectors.measures_for(entity.uscc)
    return {
        "uscc": entity.uscc,
        "name": entity.name,
        "grade": m.grade,
        "score": m.score,
        "model_version": score.model_version if score else "",
        "factors": selectors.explained_factors(score),
        "lists": m.entries,
        "bid_eligible": m.bid_eligible,
        "tolerance_acceptance": m.tolerance_acceptance,
    }


class CreditListRowOut(CreditListEntryOut):
    uscc: str
    name: str

    @staticmethod
    def resolve_uscc(obj: ListEntry) -> str:
        return obj.entity.uscc

    @staticmethod
    def resolve_name(obj: ListEntry) -> str:
        return obj.entity.name


@router.get(
    "/lists", auth=None, response={200: list[CreditListRowOut], **ERRORS}, operation_id="credit_lists"
)
def lists(request, kind: str = "black"):
    """Entities on the red or black list now (at most 500, newest first)."""
    _limit(request)
    return list(selectors.live_list_entries(kind=kind if kind in ("red", "black") else "black")[:500])


class CreditListAddIn(Schema):
    uscc: str
    kind: str
    legal_basis: str
    reason: str
    until: dt.date
    department_id: int


@router.post("/lists", response={201: CreditListEntryOut, **ERRORS}, operation_id="credit_list_add")
def list_add(request, body: CreditListAddIn):
    """Put an entity (by USCC) on a red or black list for your department, with basis and period."""
    department = account_selectors.department_by_id(body.department_id)
    if department is None:
        raise NotFound("department_id: no such department")
    entry = services.list_entry_add(
        actor=request.auth,
        entity=selectors.entity_by_uscc(body.uscc[:18]),
        kind=body.kind,
        legal_basis=body.legal_basis,
        reason=body.reason,
        until=body.until,
        department=department,
    )
    return Status(201, entry)


class CreditRepairIn(Schema):
    uscc: str
    event_ref: str = ""
    reason: str
    commitment: bool = False


class CreditRepairOut(Schema):
    id: int
    number: str
    state: str
    version: int
    sla_deadline: dt.date | None


@router.post("/repairs", response={201: CreditRepairOut, **ERRORS}, operation_id="credit_repair_submit")
def repair_submit(request, body: CreditRepairIn):
    """The entity asks to repair one record (by its source ref, e.g. ``penalty:12``) or its
    current serious dishonesty listing (no ``event_ref``)."""
    entity = selectors.entity_by_uscc(body.uscc[:18])
    event = list_entry = None
    if body.event_ref:
        event = selectors.events_of(entity).filter(source_ref=body.event_ref[:64]).first()
        if event is None:
            raise NotFound("event_ref: no such record")
    else:
        list_entry = selectors.live_list_entries(entity, kind="black").first()
        if list_entry is None:
            raise NotFound("event_ref: no record given and no listing to repair")
    req = services.repair_submit(
        actor=request.auth,
        entity=entity,
        event=event,
        list_entry=list_entry,
        reason=body.reason,
        commitment=body.commitment,
    )
    return Status(201, req)


class CreditDecideIn(Schema):
    action: str
    note: str = ""
    version: int | None = None


@router.post(
    "/repairs/{pk}/decide", response={200: CreditRepairOut, **ERRORS}, operation_id="credit_repair_decide"
)
def repair_decide(request, pk: int, body: CreditDecideIn):
    """Approve or reject a credit repair request (``action``); ``version`` guards concurrent edits."""
    req = selectors.repair_get_for(request.auth, pk)
    fn = {"approve": services.repair_approve, "reject": services.repair_reject}.get(body.action)
    if fn is None:
        raise ValidationError.for_field("action", "must be approve or reject")
    return fn(actor=request.auth, request=req, note=body.note, expected_version=body.version)


class CreditReportOut(Schema):
    id: int
    uscc: str
    grade: str
    score: int
    verification_code: str
    verify_url: str
    created_at: dt.datetime

    @staticmethod
    def resolve_uscc(obj) -> str:
        return obj.entity.uscc

    @staticmethod
    def resolve_verification_code(obj) -> str:
        return obj.seal_code

    @staticmethod
    def resolve_verify_url(obj) -> str:
        return f"/seals/verify/{obj.seal_code}/"


@router.post(
    "/entities/{uscc}/reports", response={201: CreditReportOut, **ERRORS}, operation_id="credit_report_issue"
)
def report_issue(request, uscc: str):
    """Issue a sealed credit report (the entity's representative or agent, or credit staff)."""
    report = reports.credit_report_issue(actor=request.auth, entity=selectors.entity_by_uscc(uscc[:18]))
    return Status(201, report)


@router.get("/reports/{pk}/pdf", response={200: None, **ERRORS}, operation_id="credit_report_pdf")
def report_pdf(request, pk: int):
    """The sealed credit report as a PDF, to those who may see the entity's reports."""
    report = selectors.report_get(pk)
    return HttpResponse(reports.report_pdf(actor=request.auth, report=report), content_type="application/pdf")
