"""API of counter intake (帮办代办), 告知承诺制 and 跨省通办, mounted under /api/v1/services by
``api.py``: POST /counter/applications, POST /counter/applications/{id}/rating,
GET /commitment-items, GET /commitment-checks, POST /commitment-checks/{id}/finding,
GET|POST /transfers, POST /transfers/{id}/{action}, GET|POST /proxies,
POST /proxies/{id}/revoke, POST /proxies/{id}/applications.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from ninja import Query, Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.schemas import ERRORS
from zhengtong.services import selectors, selectors_onestop, services
from zhengtong.services.models import Case
from zhengtong.services.models_onestop import CommitmentCheck, ProxyConsent, Transfer

PUBLIC_OPERATIONS: set[str] = {"services_commitment_items"}
# Served under the services router's own prefix (``api._mount``).
router = Router(tags=["services"])


class IntakeIn(Schema):
    item: str
    resident_id: str
    id_document: str
    id_method: str
    proxy_resident_id: str = ""
    data: dict[str, Any] = {}
    commitments: list[str] = []
    confirmation: Literal["screen", "signature"]
    signature: str = ""


class IntakeOut(Schema):
    id: int
    number: str
    applicant: str
    submitted_by: str
    channel: str
    state: str
    counter: str
    id_document: str
    id_number_masked: str
    id_method: str
    id_checked_at: dt.datetime
    proxy: str | None
    confirmation: str
    confirmed_sha256: str
    signature_sha256: str
    commitments: list[str]
    transfer: str | None


def _intake(case: Case) -> dict:
    intake = case.intake
    transfer = case.transfer_or_none
    return {
        "id": case.pk,
        "number": case.number,
        "applicant": case.applicant.username,
        "submitted_by": case.submitted_by.username if case.submitted_by_id else "",
        "channel": case.intake_channel,
        "state": case.state,
        "counter": intake.counter_unit.code,
        "id_document": intake.id_document,
        "id_number_masked": intake.id_number_masked,
        "id_method": intake.id_method,
        "id_checked_at": intake.id_checked_at,
        "proxy": intake.proxy.username if intake.proxy_id else None,
        "confirmation": intake.confirmation,
        "confirmed_sha256": intake.confirmed_sha256,
        "signature_sha256": intake.signature_sha256,
        "commitments": list(case.commitments.values_list("material_code", flat=True)),
        "transfer": transfer.number if transfer else None,
    }


def _intake_args(payload: IntakeIn) -> dict:
    return {
        "resident_id": payload.resident_id,
        "id_document": payload.id_document,
        "id_method": payload.id_method,
        "proxy_resident_id": payload.proxy_resident_id,
        "raw": payload.data,
        "files": None,
        "commit": set(payload.commitments),
        "confirmation": payload.confirmation,
        "signature": payload.signature,
        "strict": True,
    }


@router.post(
    "/counter/applications",
    response={201: IntakeOut, **ERRORS},
    operation_id="services_counter_create",
)
def counter_create(request, payload: IntakeIn):
    """帮办: a counter clerk files for an applicant identified at the counter (identity document,
    check method, the applicant's confirmation on screen or a PNG signature as a data URL)."""
    item = selectors.item_get(payload.item)
    case = services.counter_file(actor=request.auth, item=item, **_intake_args(payload))
    return Status(201, _intake(case))


class CounterRatingIn(Schema):
    score: int
    comment: str = ""


class CounterRatingOut(Schema):
    id: int
    case: str
    score: int
    state: str


@router.post(
    "/counter/applications/{int:case_id}/rating",
    response={201: CounterRatingOut, **ERRORS},
    operation_id="services_counter_rating",
)
def counter_rating(request, case_id: int, payload: CounterRatingIn):
    """一次一评 on site: the applicant's rating of the counter service, taken on the receiving
    clerk's device within SERVICES_COUNTER_RATING_MINUTES of the intake."""
    case = selectors_onestop.intake_case_for_clerk(request.auth, case_id)
    rating = services.counter_rate(
        actor=request.auth, case=case, score=payload.score, comment=payload.comment
    )
    return Status(201, {"id": rating.pk, "case": case.number, "score": rating.score, "state": rating.state})


class CommitmentMaterialOut(Schema):
    code: str
    name: str
    text_code: str
    text_version: int
    title: str
    promise: str
    liability: str


class CommitmentItemOut(Schema):
    code: str
    name: str
    department: str
    materials: list[CommitmentMaterialOut]


@router.get(
    "/commitment-items",
    response={200: list[CommitmentItemOut], **ERRORS},
    auth=None,
    operation_id="services_commitment_items",
)
def commitment_items(request):
    """The published list of 告知承诺 items: materials a signed commitment may replace, each with
    its current 承诺书 (what is promised, the liability)."""
    return [
        {
            "code": row["item"].code,
            "name": row["item"].name,
            "department": row["item"].department.name,
            "materials": [
                {
                    "code": m["code"],
                    "name": m["name"],
                    "text_code": m["text"].code,
                    "text_version": m["text"].version,
                    "title": m["text"].title,
                    "promise": m["text"].promise,
                    "liability": m["text"].liability,
                }
                for m in row["materials"]
            ],
        }
        for row in selectors_onestop.commitment_items()
    ]


class CheckOut(Schema):
    id: int
    case_id: int
    case: str
    case_state: str
    state: str
    deadline: dt.date | None
    sla_state: str
    finding: str
    commitments: dict[str, str]
    version: int


def _check(check: CommitmentCheck) -> dict:
    return {
        "id": check.pk,
        "case_id": check.case_id,
        "case": check.case.number,
        "case_state": check.case.state,
        "state": check.state,
        "deadline": check.sla_deadline,
        "sla_state": check.sla_state,
        "finding": check.finding,
        "commitments": {c.material_code: c.state for c in check.case.commitments.all()},
        "version": check.version,
    }


class CheckQuery(Schema):
    state: Literal["open", "kept", "false", ""] = "open"


@router.get(
    "/commitment-checks",
    response={200: list[CheckOut], **ERRORS},
    operation_id="services_commitment_checks",
)
def commitment_checks(request, q: Query[CheckQuery]):
    """核查 tasks in the reviewer's scope (newest 200)."""
    rows = selectors_onestop.checks_for_staff(request.auth, state=q.state).prefetch_related(
        "case__commitments"
    )
    return [_check(c) for c in rows[:200]]


class FindingIn(Schema):
    result: Literal["true", "false"]
    note: str = ""
    materials: list[str] = []
    version: int | None = None


@router.post(
    "/commitment-checks/{int:case_id}/finding",
    response={200: CheckOut, **ERRORS},
    operation_id="services_commitment_finding",
)
def commitment_finding(request, case_id: int, payload: FindingIn):
    """Record the 核查 finding on a case's commitments: "true" closes the check; "false" (naming the
    materials) ends the case or revokes its decision and e-licence and records the false
    commitment on the applicant's credit record. Before the decision, "false" opens the check."""
    case = selectors.case_for_staff(request.auth, case_id)
    check = case.commitment_check if CommitmentCheck.objects.filter(case=case).exists() else None
    if payload.result == "true":
        if check is None:
            raise NotFound("this case has no commitment check")
        services.check_confirm(
            actor=request.auth, check=check, note=payload.note, expected_version=payload.version
        )
    else:
        check = services.check_find_false(
            actor=request.auth,
            case=case,
            note=payload.note,
            materials=payload.materials,
            expected_version=payload.version if check is not None else None,
        )
    check.refresh_from_db()
    return _check(check)


class TransferIn(IntakeIn):
    counter_unit: str
    delivery: Literal["post", "counter"]
    postal_address: str = ""


class TransferOut(Schema):
    id: int
    number: str
    case: str
    case_state: str
    item: str
    receiving_unit: str
    competent_unit: str
    delivery: str
    post_tracking: str
    state: str
    actions: list[str]
    version: int


def _transfer(t: Transfer, actor) -> dict:
    return {
        "id": t.pk,
        "number": t.number,
        "case": t.case.number,
        "case_state": t.case.state,
        "item": t.case.item.code,
        "receiving_unit": t.receiving_unit.code,
        "competent_unit": t.case.org_unit.code,
        "delivery": t.delivery,
        "post_tracking": t.post_tracking,
        "state": t.state,
        "actions": selectors_onestop.transfer_actions(t, actor),
        "version": t.version,
    }


@router.get("/transfers", response={200: list[TransferOut], **ERRORS}, operation_id="services_transfers")
def transfers(request):
    """Transfers the caller's counter received or their unit is competent for (newest 200)."""
    return [_transfer(t, request.auth) for t in selectors_onestop.transfers_for_staff(request.auth)[:200]]


@router.post("/transfers", response={201: TransferOut, **ERRORS}, operation_id="services_transfer_create")
def transfer_create(request, payload: TransferIn):
    """收受分离: receive another region's item whose 通办 scope covers the counter, and transfer it."""
    item = selectors.item_get(payload.item)
    unit = account_selectors.org_unit_by_code(payload.counter_unit)
    if unit is None:
        raise ValidationError.for_field("counter_unit", "no org unit with this code")
    transfer = services.transfer_receive(
        actor=request.auth,
        counter_unit=unit,
        item=item,
        delivery=payload.delivery,
        postal_address=payload.postal_address,
        **_intake_args(payload),
    )
    return Status(201, _transfer(transfer, request.auth))


class TransferActionIn(Schema):
    post_tracking: str = ""
    note: str = ""
    version: int | None = None


@router.post(
    "/transfers/{int:transfer_id}/{action}",
    response={200: TransferOut, **ERRORS},
    operation_id="services_transfer_action",
)
def transfer_action(request, transfer_id: int, action: str, payload: TransferActionIn):
    """Deliver the result: ``post_result`` (competent unit, with the postal tracking number),
    ``send_to_counter`` (competent unit), ``hand_over`` (receiving counter)."""
    transfer = selectors_onestop.transfer_for_staff(request.auth, transfer_id)
    if action not in services.TRANSFER_ACTIONS:
        raise NotFound("no such action: post_result, send_to_counter or hand_over")
    if action == "post_result":
        services.transfer_post_result(
            actor=request.auth,
            transfer=transfer,
            post_tracking=payload.post_tracking,
            expected_version=payload.version,
        )
    elif action == "send_to_counter":
        services.transfer_send_to_counter(
            actor=request.auth, transfer=transfer, expected_version=payload.version
        )
    else:
        services.transfer_hand_over(
            actor=request.auth, transfer=transfer, note=payload.note, expected_version=payload.version
        )
    transfer.refresh_from_db()
    return _transfer(transfer, request.auth)


class ProxyConsentIn(Schema):
    proxy_resident_id: str
    relation: str
    scope: list[str]
    valid_until: dt.date


class ProxyConsentOut(Schema):
    id: int
    principal: str
    proxy: str
    relation: str
    scope: list[str]
    valid_until: dt.datetime
    revoked_at: dt.datetime | None
    live: bool


def _consent(c: ProxyConsent) -> dict:
    return {
        "id": c.pk,
        "principal": c.principal.username,
        "proxy": c.proxy.username,
        "relation": c.relation,
        "scope": c.scope,
        "valid_until": c.valid_until,
        "revoked_at": c.revoked_at,
        "live": c.is_live(),
    }


@router.get("/proxies", response={200: list[ProxyConsentOut], **ERRORS}, operation_id="services_proxies")
def proxies(request):
    """Consents the caller gave (as principal) or holds (as proxy)."""
    return [_consent(c) for c in selectors_onestop.consents_of(request.auth)[:200]]


@router.post("/proxies", response={201: ProxyConsentOut, **ERRORS}, operation_id="services_proxy_create")
def proxy_create(request, payload: ProxyConsentIn):
    """Consent that a family member files for you (代办授权): items and expiry (≤ 366 days)."""
    until = timezone.make_aware(dt.datetime.combine(payload.valid_until, dt.time(23, 59)))
    consent = services.proxy_consent_grant(
        actor=request.auth,
        proxy_resident_id=payload.proxy_resident_id,
        relation=payload.relation,
        scope=payload.scope,
        valid_until=until,
    )
    return Status(201, _consent(consent))


@router.post(
    "/proxies/{int:consent_id}/revoke",
    response={200: ProxyConsentOut, **ERRORS},
    operation_id="services_proxy_revoke",
)
def proxy_revoke(request, consent_id: int):
    """Withdraw a consent you gave (the principal only); cases already filed stay yours."""
    consent = selectors_onestop.consent_of_principal(request.auth, consent_id)
    return _consent(services.proxy_consent_revoke(actor=request.auth, consent=consent))


class ProxyApplicationIn(Schema):
    item: str
    data: dict[str, Any] = {}
    commitments: list[str] = []


class ProxyApplicationOut(Schema):
    id: int
    number: str
    applicant: str
    submitted_by: str
    channel: str
    state: str


@router.post(
    "/proxies/{int:consent_id}/applications",
    response={201: ProxyApplicationOut, **ERRORS},
    operation_id="services_proxy_application",
)
def proxy_application(request, consent_id: int, payload: ProxyApplicationIn):
    """代办 online: file for the principal under their live consent covering the item."""
    consent = selectors_onestop.consent_for_proxy(request.auth, consent_id)
    item = selectors.item_get(payload.item)
    case = services.proxy_file(
        actor=request.auth, consent=consent, item=item, raw=payload.data, commit=set(payload.commitments)
    )
    return Status(
        201,
        {
            "id": case.pk,
            "number": case.number,
            "applicant": case.applicant.username,
            "submitted_by": request.auth.username,
            "channel": case.intake_channel,
            "state": case.state,
        },
    )
