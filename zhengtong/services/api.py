"""The services API, shaped after the GovStack Registration building block (reference/services.md):

GET /services, GET /services/{id}, GET /services/{id}/eForms, POST /services/{id}/applications,
GET /services/applications (own), GET/PUT /services/applications/{id}, GET /services/tasks,
GET /services/tasks/{id}, POST /services/tasks/{id}/complete. ``status.code`` is one of PENDING,
APPROVED, SENDBACK, REJECTED, with ``ended``; our finer ``state`` is given beside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.urls import reverse
from ninja import Query, Router, Schema, Status

from zhengtong.core.errors import ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.core.workflow import timeline
from zhengtong.services import api_onestop, api_wallet, eforms, notices, progress, selectors, services
from zhengtong.services.actions import case_action_run
from zhengtong.services.models import Case, ServiceItem
from zhengtong.services.rating_api import PUBLIC_OPERATIONS as RATING_PUBLIC
from zhengtong.services.rating_api import router as rating_router
from zhengtong.services.workflows import FINAL_STATES

router = Router(tags=["services"])


def _mount(sub: Router) -> None:
    """Serve a use-case file's operations (api_onestop.py, api_wallet.py, rating_api.py) under this router's own
    prefix. (Nesting them with ``add_router("", ...)`` loses the slash between the prefixes in the
    OpenAPI paths, so clients and the authorization matrix would call ``/api/v1services/...``.)"""
    for path, view in sub.path_operations.items():
        if path in router.path_operations:
            router.path_operations[path].operations.extend(view.operations)
        else:
            router.path_operations[path] = view


# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {
    "services_list",
    "services_detail",
    "services_eforms",
    "services_track",
    *RATING_PUBLIC,
} | api_wallet.PUBLIC_OPERATIONS


def govstack_status(case: Case) -> dict[str, Any]:
    if case.state in ("approved", "completed"):
        code = "APPROVED"
    elif case.state in ("refused", "rejected", "withdrawn", "voided", "revoked"):
        code = "REJECTED"
    elif case.state == "correction_requested":
        code = "SENDBACK"
    else:
        code = "PENDING"
    return {"code": code, "ended": case.state in FINAL_STATES, "state": case.state, "label": case.state_label}


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    department: str
    org_unit: str
    life_events: list[str]
    visits: int
    online: bool
    mobile: bool
    promised_days: int | None
    fee_fen: int | None

    @staticmethod
    def resolve_department(obj: ServiceItem) -> str:
        return obj.department.name

    @staticmethod
    def resolve_org_unit(obj: ServiceItem) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_promised_days(obj: ServiceItem) -> int | None:
        return obj.current_version.promised_days if obj.current_version else None

    @staticmethod
    def resolve_fee_fen(obj: ServiceItem) -> int | None:
        return obj.current_version.fee_fen if obj.current_version else None


class ServicePage(Schema):
    items: list[ServiceOut]
    next: str | None


class ServiceDetail(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    department: str
    org_unit: str
    life_events: list[str]
    visits: int
    online: bool
    mobile: bool
    promised_days: int
    fee_fen: int
    version: int
    legal_basis: str
    conditions: str
    materials: list[dict]
    statutory_days: int
    fee_basis: str
    consultation: str
    complaint: str
    guide: str
    review_steps: list[dict]
    produces: str | None


def _detail(item: ServiceItem) -> dict:
    v = item.current_version
    return {
        "id": item.pk,
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "kind": item.kind,
        "department": item.department.name,
        "org_unit": item.org_unit.code,
        "life_events": item.life_events,
        "visits": item.visits,
        "online": item.online,
        "mobile": item.mobile,
        "promised_days": v.promised_days,
        "fee_fen": v.fee_fen,
        "version": v.number,
        "legal_basis": v.legal_basis,
        "conditions": v.conditions,
        "materials": v.materials,
        "statutory_days": v.statutory_days,
        "fee_basis": v.fee_basis,
        "consultation": v.consultation,
        "complaint": v.complaint,
        "guide": v.guide,
        "review_steps": v.review_steps,
        "produces": v.produces.code if v.produces else None,
    }


class CatalogueQuery(Schema):
    q: str = ""
    department: str = ""
    life_event: str = ""
    visits: str = ""
    cursor: str | None = None
    limit: int | None = None


@router.get("", response={200: ServicePage, **ERRORS}, auth=None, operation_id="services_list")
def services_list(request, f: Query[CatalogueQuery]):
    """The published service catalogue (GovStack ``GET /services``)."""
    qs = selectors.catalogue(q=f.q, department=f.department, life_event=f.life_event, visits=f.visits)
    page = keyset_page(qs, order=["id"], cursor=f.cursor, limit=clamp_limit(f.limit))
    return {"items": page.items, "next": page.next_cursor}


@router.get(
    "/{int:service_id}", response={200: ServiceDetail, **ERRORS}, auth=None, operation_id="services_detail"
)
def services_detail(request, service_id: int):
    """One service item's current rules (GovStack ``GET /services/{serviceId}``)."""
    return _detail(selectors.item_get(service_id))


class EFormOut(Schema):
    id: str
    service_id: int
    version: int
    schema_: dict
    prefill: dict
    sources: dict
    materials: list[dict]


@router.get(
    "/{int:service_id}/eForms", response={200: EFormOut, **ERRORS}, auth=None, operation_id="services_eforms"
)
def services_eforms(request, service_id: int):
    """The e-form (JSON Schema with UI hints). Logged in, it comes auto-filled from the
    registries, and says per material whether an e-licence or a record already satisfies it."""
    item = selectors.item_get(service_id)
    v = item.current_version
    holdings = eforms.holdings_for(request.user) if request.user.is_authenticated else eforms.Holdings()
    values, sources = eforms.autofill(v.form_schema, holdings)
    status = eforms.material_status(v.materials, holdings)
    for name, source in sources.items():
        if source in eforms.MASKED:
            values[name] = eforms.MASKED[source](values[name])
    return {
        "id": f"{item.code}@{v.number}",
        "service_id": item.pk,
        "version": v.number,
        "schema_": v.form_schema,
        "prefill": values,
        "sources": {k: eforms.source_label(s) for k, s in sources.items()},
        "materials": [{**m, "satisfied_by": status[m["code"]]["by"] or None} for m in v.materials],
    }


class CaseApplicationIn(Schema):
    data: dict[str, Any] = {}
    # 告知承诺制: codes of materials replaced by signing the item's 承诺书.
    commitments: list[str] = []


class CaseApplicationOut(Schema):
    fileId: str
    id: int
    service_id: int
    service: str
    status: dict
    data: dict
    sources: dict
    materials: dict
    correction_items: list[str]
    fee_fen: int
    paid: bool
    submitted_at: dt.datetime | None
    expected_end: dt.date | None
    institution: str
    licence: str | None
    version: int


def _application(case: Case) -> dict:
    data = dict(case.data)
    for name, source in case.sources.items():
        if source in eforms.MASKED and name in data:
            data[name] = eforms.MASKED[source](data[name])
    return {
        "fileId": case.number,
        "id": case.pk,
        "service_id": case.item_id,
        "service": case.item.name,
        "status": govstack_status(case),
        "data": data,
        "sources": case.sources,
        "materials": {k: {"by": v.get("by", "")} for k, v in case.materials.items()},
        "correction_items": case.correction_items,
        "fee_fen": case.fee_fen,
        "paid": case.paid_at is not None,
        "submitted_at": case.submitted_at,
        "expected_end": case.sla_deadline,
        "institution": case.department.name,
        "licence": case.licence.number if case.licence_id else None,
        "version": case.version,
    }


@router.post(
    "/{int:service_id}/applications",
    response={201: CaseApplicationOut, **ERRORS},
    operation_id="services_application_create",
)
def application_create(request, service_id: int, payload: CaseApplicationIn):
    """Apply (GovStack ``POST /services/{serviceId}/applications``). Registry-held fields are
    filled in by the platform; ``data`` needs only what the government does not hold."""
    item = selectors.item_get(service_id)
    case = services.case_submit(
        actor=request.auth, item=item, raw=payload.data, commit=set(payload.commitments)
    )
    return Status(201, _application(case))


class AppListQuery(Schema):
    state: str = ""
    cursor: str | None = None
    limit: int | None = None


class ApplicationPage(Schema):
    items: list[CaseApplicationOut]
    next: str | None


@router.get("/applications", response={200: ApplicationPage, **ERRORS}, operation_id="services_applications")
def applications(request, f: Query[AppListQuery]):
    """Your own applications, newest first."""
    page = keyset_page(
        selectors.my_cases(request.auth, state=f.state).select_related("licence"),
        order=["-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit, default=20),
    )
    return {"items": [_application(c) for c in page.items], "next": page.next_cursor}


class CaseTimelineOut(Schema):
    transition: str
    from_state: str
    to_state: str
    at: dt.datetime
    note: str


class ServicesProgressOut(Schema):
    at: dt.datetime
    action: str
    label: str
    state: str
    state_label: str
    step: str
    note: str
    items: list[str]


class ServicesNoticeOut(Schema):
    code: str
    kind: str
    title: str
    sealed_at: dt.datetime
    url: str


class ApplicationDetail(CaseApplicationOut):
    timeline: list[CaseTimelineOut]
    progress: list[ServicesProgressOut]
    notices: list[ServicesNoticeOut]


class ServicesTrackOut(Schema):
    number: str
    item: str
    department: str
    applicant: str
    state: str
    state_label: str
    submitted_at: dt.datetime | None
    deadline: dt.date | None
    sla_state: str
    completed_at: dt.datetime | None
    is_open: bool
    progress: list[ServicesProgressOut]


class ServicesTrackQuery(Schema):
    number: str = ""
    check: str = ""


@router.get("/track", response={200: ServicesTrackOut, **ERRORS}, auth=None, operation_id="services_track")
def track(request, q: Query[ServicesTrackQuery]):
    """Public 办件查询: where a case stands, by its number and a check value (the last 4 digits of
    the applicant's mobile number or the last 6 characters of the ID number or USCC). An unknown
    number and a wrong check value are the same 404; wrong values per number and look-ups per
    address are rate-limited (429 with ``Retry-After``). Notes and correction items are left out."""
    result = progress.case_track(number=q.number, check=q.check, client=client_ip(request) or "")
    return progress.track_payload(result)


@router.get(
    "/applications/{int:case_id}",
    response={200: ApplicationDetail, **ERRORS},
    operation_id="services_application",
)
def application(request, case_id: int):
    """One of the caller's own applications (cases) with its state, materials and timeline."""
    case = selectors.case_for_applicant(request.auth, case_id)
    return {
        **_application(case),
        "timeline": timeline(case),
        "progress": [e.__dict__ for e in progress.case_progress(case)],
        "notices": [
            {
                "code": d.code,
                "kind": d.kind,
                "title": d.title,
                "sealed_at": d.sealed_at,
                "url": reverse("services:case_notice", args=[case.pk, d.code]),
            }
            for d in notices.case_notices(case)
        ],
    }


class ResubmitIn(Schema):
    data: dict[str, Any] = {}
    version: int


@router.put(
    "/applications/{int:case_id}",
    response={200: CaseApplicationOut, **ERRORS},
    operation_id="services_application_update",
)
def application_update(request, case_id: int, payload: ResubmitIn):
    """Resubmit a corrected application (after SENDBACK), with the version you read."""
    case = selectors.case_for_applicant(request.auth, case_id)
    services.case_resubmit(actor=request.auth, case=case, raw=payload.data, expected_version=payload.version)
    return _application(case)


class TaskOut(Schema):
    id: int
    fileId: str
    service: str
    service_code: str
    department: str
    state: str
    status: dict
    step: str | None
    sla_state: str
    deadline: dt.date | None
    paid: bool
    version: int
    actions: list[str]


def _task(case: Case, actor) -> dict:
    step = case.current_step
    return {
        "id": case.pk,
        "fileId": case.number,
        "service": case.item.name,
        "service_code": case.item.code,
        "department": case.department.name,
        "state": case.state,
        "status": govstack_status(case),
        "step": step.get("name") if step else None,
        "sla_state": case.sla_state,
        "deadline": case.sla_deadline,
        "paid": case.paid_at is not None or not case.fee_fen,
        "version": case.version,
        "actions": [t.name for t in Case.workflow.available(case, actor)],
    }


class TaskQuery(Schema):
    view: str = "open"
    item: str = ""
    q: str = ""
    cursor: str | None = None
    limit: int | None = None


class TaskPage(Schema):
    items: list[TaskOut]
    counts: dict[str, int]
    next: str | None


@router.get("/tasks", response={200: TaskPage, **ERRORS}, operation_id="services_tasks")
def tasks(request, f: Query[TaskQuery]):
    """Staff task list (GovStack ``GET /tasks``): cases of your org units and department."""
    if f.view not in selectors.WORKLIST_FILTERS:
        raise ValidationError.for_field("view", "choose one of: " + ", ".join(selectors.WORKLIST_FILTERS))
    page = keyset_page(
        selectors.worklist(request.auth, view=f.view, item=f.item, q=f.q),
        order=["-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit, default=20),
    )
    return {
        "items": [_task(c, request.auth) for c in page.items],
        "counts": selectors.worklist_counts(request.auth),
        "next": page.next_cursor,
    }


@router.get("/tasks/{int:case_id}", response={200: TaskOut, **ERRORS}, operation_id="services_task")
def task(request, case_id: int):
    """One case as the staff member handling it sees it, with the actions open to them."""
    return _task(selectors.case_for_staff(request.auth, case_id), request.auth)


class CompleteIn(Schema):
    status: Literal["APPROVED", "SENDBACK", "REJECTED"] | None = None
    action: str | None = None
    note: str = ""
    items: list[str] = []
    version: int
    owed_until: dt.date | None = None  # 容缺受理: accepting a case with materials owed


@router.post(
    "/tasks/{int:case_id}/complete", response={200: TaskOut, **ERRORS}, operation_id="services_task_complete"
)
def task_complete(request, case_id: int, payload: CompleteIn):
    """Complete your task on a case (GovStack ``POST /tasks/{id}/complete``): ``status``
    APPROVED / SENDBACK / REJECTED, meaning accept / request correction / refuse at the counter
    and approve / send back / reject in review; or an explicit ``action``. Accepting a case with
    tolerable materials owed (容缺受理) needs ``owed_until``, a date between today and the promised
    deadline."""
    case = selectors.case_for_staff(request.auth, case_id)
    action = payload.action
    if action is None:
        if payload.status is None:
            raise ValidationError.for_field("status", "give status or action")
        at_counter = case.state == "submitted"
        action = {
            "APPROVED": "accept" if at_counter else "approve",
            "SENDBACK": "request_correction" if at_counter else "send_back",
            "REJECTED": "refuse" if at_counter else "reject",
        }[payload.status]
    case_action_run(
        actor=request.auth,
        case=case,
        action=action,
        note=payload.note,
        items=payload.items,
        expected_version=payload.version,
        owed_until=payload.owed_until,
    )
    return _task(case, request.auth)


class RevealIn(Schema):
    field: str
    reason: str = ""


class RevealOut(Schema):
    field: str
    value: str


@router.post(
    "/tasks/{int:case_id}/reveal", response={200: RevealOut, **ERRORS}, operation_id="services_task_reveal"
)
def task_reveal(request, case_id: int, payload: RevealIn):
    """One identifier of a case in full (``field``: ``data:<name>`` or ``material:<code>``, as
    the staff page names them), for staff who may see the case; recorded in the audit trail with
    the optional ``reason``. Case pages and other answers show identifiers masked."""
    case = selectors.case_for_staff(request.auth, case_id)
    value = services.case_identifier_reveal(
        actor=request.auth, case=case, field=payload.field[:120], reason=payload.reason
    )
    return {"field": payload.field, "value": value}


class BundleStatusOut(Schema):
    id: int
    number: str
    bundle: str
    overall: str
    fee_fen: int
    paid: bool
    parts: list[CaseApplicationOut]
    failed: list[str]


@router.get(
    "/bundle-applications/{int:app_id}",
    response={200: BundleStatusOut, **ERRORS},
    operation_id="services_bundle_status",
)
def bundle_status(request, app_id: int):
    """The combined status of a 一件事 application (constant query count)."""
    app = selectors.bundle_status(request.auth, app_id)
    return {
        "id": app.pk,
        "number": app.number,
        "bundle": app.bundle.name,
        "overall": app.overall,
        "fee_fen": app.fee_fen,
        "paid": app.paid,
        "parts": [_application(c) for c in app.parts],
        "failed": [c.item.name for c in app.failed],
    }


# 好差评 (rating_api.py): rating, verdict, contest, the public statistics and period indicators.
_mount(rating_router)
# 秒批 rules, 免申即享, the wallet (卡包), 亮证 and consented use: api_wallet.py
_mount(api_wallet.router)

# Counter intake (帮办代办), 告知承诺制 and 跨省通办 (api_onestop), under the same prefix.
_mount(api_onestop.router)
PUBLIC_OPERATIONS |= api_onestop.PUBLIC_OPERATIONS
