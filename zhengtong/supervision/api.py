from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.core.schemas import ERRORS
from zhengtong.supervision import selectors, services

router = Router(tags=["supervision"])

PUBLIC_OPERATIONS: set[str] = {
    "supervision_items",
    "supervision_plan_draw_public",
    "supervision_plan_population",
    "supervision_penalty_publicity",
    "supervision_entity_public",
    "supervision_platform_schemas",
    "supervision_platform_report",
}


def _limit(request) -> None:
    ratelimit.hit(
        "supervision.public",
        client_ip(request) or "-",
        limit=settings.SUPERVISION_PUBLIC_RATE_PER_MINUTE,
        window_seconds=60,
    )


class SupervisionItemOut(Schema):
    code: str
    name: str
    department: str
    legal_basis: str
    checklist: list[str]

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name


@router.get(
    "/items", auth=None, response={200: list[SupervisionItemOut], **ERRORS}, operation_id="supervision_items"
)
def items(request):
    """The supervision catalogue (监管事项目录清单)."""
    _limit(request)
    return list(selectors.items_public()[:1000])


class SupervisionOfficerOut(Schema):
    number: str
    name: str
    certificate_no: str
    certificate_valid_to: dt.date
    department: str

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name


@router.get(
    "/officers", response={200: list[SupervisionOfficerOut], **ERRORS}, operation_id="supervision_officers"
)
def officers(request):
    """Law-enforcement officers you may assign to inspections (your departments)."""
    return list(selectors.officers_for(request.auth)[:1000])


class SupervisionPlanIn(Schema):
    title: str
    department_id: int
    joint_department_ids: list[int] = []
    item_codes: list[str]
    filters: dict[str, Any] = {}
    permille: dict[str, int] = {}
    inspectors_per_department: int = 2


class SupervisionPlanOut(Schema):
    number: str
    title: str
    state: str
    version: int
    population_size: int | None
    population_hash: str
    seed_commitment: str


def _department(pk: int, field: str):
    dept = account_selectors.department_by_id(pk)
    if dept is None:
        raise ValidationError.for_field(field, "no such department")
    return dept


@router.post("/plans", response={201: SupervisionPlanOut, **ERRORS}, operation_id="supervision_plan_create")
def plan_create(request, body: SupervisionPlanIn):
    """Create a draft random-inspection plan: items, joint departments, filters and sample size."""
    items = list(selectors.items_public().filter(code__in=body.item_codes[:50]))
    plan = services.plan_create(
        actor=request.auth,
        department=_department(body.department_id, "department_id"),
        joint_departments=[_department(pk, "joint_department_ids") for pk in body.joint_department_ids[:10]],
        title=body.title,
        items=items,
        filters=body.filters,
        permille=body.permille,
        inspectors_per_department=body.inspectors_per_department,
    )
    return Status(201, plan)


class SupervisionVersionIn(Schema):
    version: int | None = None


class SupervisionDrawIn(SupervisionVersionIn):
    seed: str | None = None


@router.post(
    "/plans/{number}/commit",
    response={200: SupervisionPlanOut, **ERRORS},
    operation_id="supervision_plan_commit",
)
def plan_commit(request, number: str, body: SupervisionVersionIn):
    """Freeze the plan's population and commit to a secret seed (both hashes published before the draw)."""
    plan = selectors.plan_get_for(request.auth, number)
    return services.plan_commit(actor=request.auth, plan=plan, expected_version=body.version)


@router.post(
    "/plans/{number}/draw", response={200: SupervisionPlanOut, **ERRORS}, operation_id="supervision_plan_draw"
)
def plan_draw(request, number: str, body: SupervisionDrawIn):
    """Draw with the committed seed (``seed``, if sent, must match the commitment: otherwise
    refused and audited)."""
    plan = selectors.plan_get_for(request.auth, number)
    return services.plan_draw(actor=request.auth, plan=plan, seed=body.seed, expected_version=body.version)


@router.get(
    "/public/plans/{number}/draw",
    auth=None,
    response={200: dict, **ERRORS},
    operation_id="supervision_plan_draw_public",
)
def plan_draw_public(request, number: str):
    """What anyone needs to recompute the draw: hashes, commitment, seed (once drawn), targets
    with their HMACs, inspectors and exclusions."""
    _limit(request)
    return selectors.published_draw(selectors.plan_public(number[:24]))


@router.get(
    "/public/plans/{number}/population.csv",
    auth=None,
    response={200: None, **ERRORS},
    operation_id="supervision_plan_population",
)
def plan_population(request, number: str):
    """The frozen population file whose SHA-256 was published at commitment."""
    _limit(request)
    plan = selectors.plan_public(number[:24])
    path = services.population_path(plan)
    if not path.exists():
        raise NotFound("no population file")
    response = HttpResponse(path.read_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.number}-population.csv"'
    return response


class SupervisionRecordIn(Schema):
    checklist: list[dict[str, Any]]
    findings: str = ""
    result: str
    entity_signer: str = ""
    # Hand-drawn signatures: PNG as a data URL (data:image/png;base64,…) or plain base64.
    entity_signature: str = Field("", max_length=400_000)
    inspector_signature: str = Field("", max_length=400_000)
    version: int | None = None


class SupervisionInspectionOut(Schema):
    id: int
    state: str
    version: int
    result: str
    rectification_ref: str
    sla_deadline: dt.date | None


@router.post(
    "/inspections/{pk}/record",
    response={200: SupervisionInspectionOut, **ERRORS},
    operation_id="supervision_inspection_record",
)
def inspection_record(request, pk: int, body: SupervisionRecordIn):
    """Record an inspection's checklist and findings (the assigned officers)."""
    inspection = selectors.inspection_get_for(request.auth, pk)
    inspection = services.inspection_record(
        actor=request.auth,
        inspection=inspection,
        checklist=body.checklist,
        findings=body.findings,
        result=body.result,
        entity_signer=body.entity_signer,
        entity_signature=services.signature_from_data_url(body.entity_signature, "entity_signature"),
        inspector_signature=services.signature_from_data_url(body.inspector_signature, "inspector_signature"),
        expected_version=body.version,
    )
    inspection.refresh_from_db()
    return inspection


class SupervisionPenaltyOut(Schema):
    id: int
    number: str
    state: str
    version: int
    sla_deadline: dt.date | None
    notified_on: dt.date | None
    decided_on: dt.date | None
    decision_no: str


class SupervisionPenaltyActionIn(Schema):
    action: str
    note: str = ""
    version: int | None = None


@router.post(
    "/penalties/{pk}/actions",
    response={200: SupervisionPenaltyOut, **ERRORS},
    operation_id="supervision_penalty_action",
)
def penalty_action(request, pk: int, body: SupervisionPenaltyActionIn):
    """A step of the procedure other than the decision: investigate, notify, request_hearing,
    hold_hearing, serve, execute, close, dismiss."""
    case = selectors.penalty_get_for(request.auth, pk)
    fn = services.PENALTY_ACTIONS.get(body.action)
    if fn is None:
        raise ValidationError.for_field("action", "must be one of " + ", ".join(services.PENALTY_ACTIONS))
    fn(actor=request.auth, case=case, note=body.note, expected_version=body.version)
    case.refresh_from_db()
    return case


class SupervisionDecideIn(Schema):
    decision_no: str
    penalty_kind: str
    legal_basis: str
    fine_fen: int | None = None
    waived_hearing: bool = False
    version: int | None = None


@router.post(
    "/penalties/{pk}/decide",
    response={200: SupervisionPenaltyOut, **ERRORS},
    operation_id="supervision_penalty_decide",
)
def penalty_decide(request, pk: int, body: SupervisionDecideIn):
    """Decide a penalty case (decision number, kind, legal basis, fine) once the hearing window is over; published and recorded with credit."""
    case = selectors.penalty_get_for(request.auth, pk)
    services.penalty_decide(
        actor=request.auth,
        case=case,
        decision_no=body.decision_no,
        penalty_kind=body.penalty_kind,
        legal_basis=body.legal_basis,
        fine_fen=body.fine_fen,
        waived_hearing=body.waived_hearing,
        expected_version=body.version,
    )
    case.refresh_from_db()
    return case


class SupervisionPublicityOut(Schema):
    decision_no: str
    party_kind: str
    party_name: str
    party_identifier: str
    penalty_kind: str
    fine_fen: int | None
    legal_basis: str
    department: str
    decided_on: dt.date
    publicity_until: dt.date


@router.get(
    "/penalties/publicity",
    auth=None,
    response={200: list[SupervisionPublicityOut], **ERRORS},
    operation_id="supervision_penalty_publicity",
)
def penalty_publicity(request):
    """Penalty decisions in their publicity period, individuals desensitized."""
    _limit(request)
    return selectors.penalty_decisions_for_publicity()


def _record_out(record: dict) -> dict:
    e = record["entity"]
    score = record["credit"]
    return {
        "uscc": e.uscc,
        "name": e.name,
        "entity_type": e.entity_type,
        "status": e.status,
        "legal_representative": record["legal_representative"],
        "registered_address": e.registered_address,
        "licences": [
            {"type": lic.licence_type.name, "number": lic.number, "state": lic.state}
            for lic in record["licences"]
        ],
        "inspections": [
            {"plan": i.plan.number, "state": i.state, "result": i.result, "inspected_on": i.inspected_on}
            for i in record["inspections"]
        ],
        "penalties": [
            {"number": c.number, "state": c.state, "decision_no": c.decision_no} for c in record["penalties"]
        ],
        "publicity": record["publicity"],
        "work_orders": [{"number": w.number, "state": w.state} for w in record["work_orders"]],
        "incidents": [
            {
                "id": i.pk,
                "category": i.category.code,
                "category_name": i.category.name,
                "state": i.state,
                "reported_at": i.reported_at,
                "township": i.township.name,
            }
            for i in record["incidents"]
        ],
        "cases": [
            {
                k: c[k]
                for k in ("number", "item", "department", "state", "submitted_at", "rating", "rating_state")
            }
            for c in record["cases"]
        ],
        "exchanges": [
            {
                "receipt_id": str(x.receipt_id),
                "at": x.at,
                "data": x.profile.title if x.profile_id else "",
                "owner": x.owner_department.name if x.owner_department_id else "",
                "consumer": x.consumer_department.name if x.consumer_department_id else x.peer,
                "case": x.on_behalf_of,
                "mode": x.mode,
                "outcome": x.outcome,
            }
            for x in record["exchanges"]
        ],
        "counts": record["counts"],
        "pages": record["pages"],
        "page_size": record["page_size"],
        "credit": {
            "grade": score.grade if score else "",
            "score": score.score if score else None,
            "factors": record["factors"],
            "black_listed": record["measures"].black_listed,
            "red_listed": record["measures"].red_listed,
        },
    }


@router.get("/entities/{uscc}", response={200: dict, **ERRORS}, operation_id="supervision_entity_record")
def entity_record(request, uscc: str, section: str = "", page: int = 1):
    """一户一档 for staff within their supervision scope: each section's newest 20 rows with its
    total in ``counts``; ``section`` and ``page`` ask for a later page of one section."""
    return _record_out(
        selectors.entity_record(request.auth, uscc[:18], public=False, section=section[:20], page=page)
    )


@router.get(
    "/public/entities/{uscc}",
    auth=None,
    response={200: dict, **ERRORS},
    operation_id="supervision_entity_public",
)
def entity_public(request, uscc: str, section: str = "", page: int = 1):
    """一户一档, the published part (公示), desensitized, paged like the staff record."""
    _limit(request)
    return _record_out(selectors.entity_record(None, uscc[:18], public=True, section=section[:20], page=page))


@router.get(
    "/platform/schemas",
    auth=None,
    response={200: dict, **ERRORS},
    operation_id="supervision_platform_schemas",
)
def platform_schemas(request):
    """The published schema of each platform report type."""
    _limit(request)
    return services.published_schemas()


class SupervisionPlatformReportOut(Schema):
    report_type: str
    period: str
    sha256: str
    row_count: int
    summary: dict[str, int]
    alerts: list[str]


@router.post(
    "/platform/reports",
    auth=None,
    response={200: SupervisionPlatformReportOut, 201: SupervisionPlatformReportOut, **ERRORS},
    operation_id="supervision_platform_report",
)
def platform_report(request, report_type: str = "", period: str = ""):
    """A platform's signed report: body JSON ``{"report_type", "period", "rows": [...]}`` or CSV
    (``Content-Type: text/csv``, ``report_type`` and ``period`` in the query); headers
    ``X-Zt-Platform`` (its credit code) and ``X-Zt-Signature`` (ES256 over the exact body bytes,
    raw r||s, base64url). 201 when accepted, 200 when the same bytes were accepted before."""
    _limit(request)
    report, created = services.platform_report_submit(
        uscc=request.headers.get("X-Zt-Platform", ""),
        body=request.body,
        signature=request.headers.get("X-Zt-Signature", ""),
        content_type=request.content_type or "",
        report_type=report_type[:30],
        period=period[:7],
    )
    out = {
        "report_type": report.report_type,
        "period": report.period,
        "sha256": report.sha256,
        "row_count": report.row_count,
        "summary": report.summary,
        "alerts": [a.message for a in report.alerts.all()],
    }
    return Status(201 if created else 200, out)
