"""The open-government API: documents and search (public), requests for disclosure (the
requester's own; staff in scope), published requests, reports, powers and 双公示 (public)."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.core.errors import ValidationError
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.opengov import selectors, services, throttle
from zhengtong.opengov.workflows import REQUEST_FLOW

router = Router(tags=["opengov"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {
    "opengov_documents",
    "opengov_document",
    "opengov_published_requests",
    "opengov_reports",
    "opengov_report",
    "opengov_powers",
    "opengov_publicity",
}


def _limit(request) -> None:
    throttle.anonymous_read(request, "api")


def _page(qs, order: list[str], f) -> dict:
    """One keyset page of ``qs`` as the API's ``{items, next}``."""
    page = keyset_page(qs, order=order, cursor=f.cursor, limit=clamp_limit(f.limit))
    return {"items": page.items, "next": page.next_cursor}


class OgDocumentOut(Schema):
    id: int
    index_number: str
    title: str
    doc_number: str
    issuing_body: str
    department: str
    region_code: str
    category: str
    topic: str
    issued_on: dt.date
    published_on: dt.date
    effective_on: dt.date | None
    validity: str
    replaced_by: int | None

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_replaced_by(obj) -> int | None:
        return obj.replaced_by_id


class OgDocumentFull(OgDocumentOut):
    body: str


class OgDocumentPage(Schema):
    items: list[OgDocumentOut]
    next: str | None


class OgDocumentQuery(Schema):
    q: str = ""
    department: int | None = None
    category: str = ""
    topic: str = ""
    validity: str = ""
    offset: int = 0
    cursor: str | None = None
    limit: int | None = None


@router.get(
    "/documents", auth=None, response={200: OgDocumentPage, **ERRORS}, operation_id="opengov_documents"
)
def documents(request, f: Query[OgDocumentQuery]):
    """Disclosure documents, newest first; with ``q`` a Chinese full-text search (ranked, title
    matches first; paged with ``offset``). Replaced and repealed documents are included with
    their ``validity``."""
    _limit(request)
    filters = {"department": f.department, "category": f.category, "topic": f.topic, "validity": f.validity}
    limit = clamp_limit(f.limit)
    if f.q.strip():
        if len(f.q) > 50:
            raise ValidationError.for_field("q", "at most 50 characters")
        if not 0 <= f.offset <= 1000:
            raise ValidationError.for_field("offset", "must be between 0 and 1000")
        return {
            "items": selectors.documents_search(f.q, filters=filters, limit=limit, offset=f.offset),
            "next": None,
        }
    return _page(selectors.documents(filters=filters), ["-published_on", "-id"], f)


@router.get(
    "/documents/{pk}", auth=None, response={200: OgDocumentFull, **ERRORS}, operation_id="opengov_document"
)
def document(request, pk: int):
    """One published government-information document with its full text."""
    return selectors.document_get(pk)


class OgDocumentIn(Schema):
    department: int
    category: str
    title: str
    body: str
    issuing_body: str
    issued_on: dt.date
    doc_number: str = ""
    topic: str = "general"
    effective_on: dt.date | None = None
    replaces: int | None = None


@router.post("/documents", response={201: OgDocumentFull, **ERRORS}, operation_id="opengov_document_publish")
def document_publish(request, payload: OgDocumentIn):
    """Publish a document in a department's catalogue (``opengov.publish`` there); ``replaces``:
    an earlier document of the department, which stays findable marked replaced."""
    ensure_authenticated(request.auth)
    department = account_selectors.department_by_id(payload.department)
    if department is None:
        raise ValidationError.for_field("department", "unknown department")
    replaces = selectors.document_get(payload.replaces) if payload.replaces else None
    doc = services.document_publish(
        actor=request.auth,
        department=department,
        category=payload.category,
        title=payload.title,
        body=payload.body,
        issuing_body=payload.issuing_body,
        issued_on=payload.issued_on,
        doc_number=payload.doc_number,
        topic=payload.topic,
        effective_on=payload.effective_on,
        replaces=replaces,
    )
    return Status(201, doc)


class OgValidityIn(Schema):
    validity: str


@router.post(
    "/documents/{pk}/validity",
    response={200: OgDocumentFull, **ERRORS},
    operation_id="opengov_document_validity",
)
def document_validity(request, pk: int, payload: OgValidityIn):
    """Mark a document amended, repealed, expired or valid again (it stays published)."""
    ensure_authenticated(request.auth)
    return services.document_set_validity(
        actor=request.auth, document=selectors.document_get(pk), validity=payload.validity
    )


class OgRequestIn(Schema):
    department: int
    description: str
    purpose: str = ""
    delivery: str = "online"


class OgRequestOut(Schema):
    number: str
    department: str
    description: str
    state: str
    state_label: str
    version: int
    sla_deadline: dt.date | None
    sla_state: str
    extended_on: dt.date | None
    correction_note: str
    reply_type: str
    reply_text: str
    legal_ground: str
    public_link: str
    referral_body: str
    referral_contact: str
    replied_at: dt.datetime | None
    letter_code: str
    published: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_published(obj) -> bool:
        return obj.published_at is not None


class OgStaffRequestOut(OgRequestOut):
    actions: list[str]


class OgRequestPage(Schema):
    items: list[OgRequestOut]
    next: str | None


class OgPageQuery(Schema):
    cursor: str | None = None
    limit: int | None = None


@router.post("/requests", response={201: OgRequestOut, **ERRORS}, operation_id="opengov_request_file")
def request_file(request, payload: OgRequestIn):
    """File a request for disclosure (real-name accounts only; 403 ``real_name_required``)."""
    ensure_authenticated(request.auth)
    department = account_selectors.department_by_id(payload.department)
    if department is None:
        raise ValidationError.for_field("department", "unknown department")
    req = services.request_file(
        actor=request.auth,
        department=department,
        description=payload.description,
        purpose=payload.purpose,
        delivery=payload.delivery,
    )
    return Status(201, req)


@router.get("/requests/mine", response={200: OgRequestPage, **ERRORS}, operation_id="opengov_my_requests")
def my_requests(request, f: Query[OgPageQuery]):
    """Your requests for government information, newest first."""
    return _page(selectors.my_requests(request.auth), ["-created_at", "-id"], f)


class OgRequesterActionIn(Schema):
    action: str  # correct | withdraw | publish | unpublish | review
    description: str = ""
    note: str = ""


@router.post(
    "/requests/mine/{number}", response={200: OgRequestOut, **ERRORS}, operation_id="opengov_my_request_act"
)
def my_request_act(request, number: str, payload: OgRequesterActionIn):
    """The requester's actions: correct an unclear request, withdraw it, agree to (or withdraw
    agreement to) publication, ask for administrative review."""
    req = selectors.my_request(request.auth, number)
    user = request.auth
    if payload.action == "correct":
        services.request_correct(actor=user, request=req, description=payload.description)
    elif payload.action == "withdraw":
        services.request_withdraw(actor=user, request=req)
    elif payload.action in ("publish", "unpublish"):
        services.request_publication_set(actor=user, request=req, consent=payload.action == "publish")
    elif payload.action == "review":
        services.request_review_ask(actor=user, request=req, reason=payload.note)
    else:
        raise ValidationError.for_field(
            "action", "must be one of correct, withdraw, publish, unpublish, review"
        )
    return req


class OgWorklistQuery(Schema):
    state: str = ""
    sla_state: str = ""
    cursor: str | None = None
    limit: int | None = None


@router.get("/worklist", response={200: OgRequestPage, **ERRORS}, operation_id="opengov_worklist")
def worklist(request, f: Query[OgWorklistQuery]):
    """Requests in your scope (department-limited grants see their department's)."""
    ensure_can(request.auth, "opengov.view")
    return _page(
        selectors.worklist(request.auth, state=f.state, sla_state=f.sla_state), ["-created_at", "-id"], f
    )


@router.get("/requests/{number}", response={200: OgStaffRequestOut, **ERRORS}, operation_id="opengov_request")
def staff_request(request, number: str):
    """One information request as staff handling it see it, with the actions open to you."""
    req = selectors.request_for_staff(request.auth, number)
    req.actions = [t.name for t in REQUEST_FLOW.available(req, request.auth)]
    return req


class OgStaffActionIn(Schema):
    action: str
    note: str = ""
    third_party: str = ""
    reply_type: str = ""
    reply_text: str = ""
    legal_ground: str = ""
    public_link: str = ""
    referral_body: str = ""
    referral_contact: str = ""
    previous_number: str = ""
    outcome: str = ""


@router.post("/requests/{number}", response={200: OgRequestOut, **ERRORS}, operation_id="opengov_request_act")
def staff_request_act(request, number: str, payload: OgStaffActionIn):
    """Staff actions: ``request_correction`` (note), ``consult`` (third_party), ``consulted``
    (note: the opinion), ``extend`` (note: the reason; once), ``reply`` (reply_type and its
    required fields), ``record_review`` (outcome, note)."""
    req = selectors.request_for_staff(request.auth, number)
    user, p = request.auth, payload
    if p.action == "request_correction":
        services.request_ask_correction(actor=user, request=req, note=p.note)
    elif p.action == "consult":
        services.request_consult(actor=user, request=req, third_party=p.third_party)
    elif p.action == "consulted":
        services.request_consulted(actor=user, request=req, opinion=p.note)
    elif p.action == "extend":
        services.request_extend(actor=user, request=req, reason=p.note)
    elif p.action == "reply":
        services.request_reply(
            actor=user,
            request=req,
            reply_type=p.reply_type,
            reply_text=p.reply_text,
            legal_ground=p.legal_ground,
            public_link=p.public_link,
            referral_body=p.referral_body,
            referral_contact=p.referral_contact,
            previous_number=p.previous_number,
        )
    elif p.action == "record_review":
        services.request_review_record(actor=user, request=req, outcome=p.outcome, note=p.note)
    else:
        raise ValidationError.for_field("action", "unknown action")
    return req


class OgPublishedRequestOut(Schema):
    number: str
    department: str
    description: str
    reply_type: str
    reply_text: str
    legal_ground: str
    public_link: str
    referral_body: str
    replied_at: dt.datetime | None
    letter_code: str

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name


class OgPublishedPage(Schema):
    items: list[OgPublishedRequestOut]
    next: str | None


@router.get(
    "/published-requests",
    auth=None,
    response={200: OgPublishedPage, **ERRORS},
    operation_id="opengov_published_requests",
)
def published_requests(request, f: Query[OgPageQuery]):
    """Answered requests published with their requesters' agreement (never who asked)."""
    _limit(request)
    return _page(selectors.published_requests(), ["-published_at", "-id"], f)


class OgReportOut(Schema):
    id: int
    department: str
    year: int
    tables: dict
    overview: str
    problems: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name


@router.get(
    "/reports", auth=None, response={200: list[OgReportOut], **ERRORS}, operation_id="opengov_reports"
)
def reports(request, year: int | None = None):
    """Published annual reports on government-information disclosure (optionally one ``year``)."""
    qs = selectors.reports_published()
    if year is not None:
        qs = qs.filter(year=year)
    return list(qs[:500])


@router.get("/reports/{pk}", auth=None, response={200: OgReportOut, **ERRORS}, operation_id="opengov_report")
def report(request, pk: int):
    """One published annual disclosure report."""
    return selectors.report_public(pk)


class OgPowerOut(Schema):
    code: str
    name: str
    power_type: str
    department: str
    legal_basis: str
    responsible_unit: str
    procedure: str
    life_events: list[str]
    service_items: list[str]
    documents: list[int]

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_documents(obj) -> list[int]:
        return [d.pk for d in obj.documents.all()]


@router.get("/powers", auth=None, response={200: list[OgPowerOut], **ERRORS}, operation_id="opengov_powers")
def powers(request, department: int | None = None, power_type: str = "", life_event: str = ""):
    """The lists of powers, by department, power type and life event."""
    return list(
        selectors.powers(department=department, power_type=power_type[:14], life_event=life_event[:40])[:500]
    )


class OgPublicityOut(Schema):
    kind: str
    decision_number: str
    decision_name: str
    party_category: str
    party_name: str
    party_code: str
    content: str
    licence_number: str
    decided_on: dt.date
    valid_from: dt.date | None
    valid_to: dt.date | None
    authority: str
    authority_code: str
    published_on: dt.date


class OgPublicityPage(Schema):
    items: list[OgPublicityOut]
    next: str | None


class OgPublicityQuery(Schema):
    kind: str = ""
    q: str = ""
    cursor: str | None = None
    limit: int | None = None


@router.get(
    "/publicity", auth=None, response={200: OgPublicityPage, **ERRORS}, operation_id="opengov_publicity"
)
def publicity(request, f: Query[OgPublicityQuery]):
    """双公示: licensing (and penalty) decisions in their publicity period, in the national fields;
    individuals desensitized."""
    _limit(request)
    if f.kind and f.kind not in ("licensing", "penalty"):
        raise ValidationError.for_field("kind", "must be licensing or penalty")
    return _page(selectors.publicity_current(kind=f.kind, q=f.q.strip()[:50]), ["-published_on", "-id"], f)
