"""Codes API: verification, trust list, rules, risk map, indices (public); my code and appeals
(citizens); data entry, overrides, rules, sunset, appeal decisions (staff)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.codes import selectors, services, trust
from zhengtong.codes.models import Appeal, ColourOverride, Subject
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.core.schemas import ERRORS

router = Router(tags=["codes"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {
    "codes_verify",
    "codes_trustlist",
    "codes_anchor",
    "codes_trustlists",
    "codes_purposes",
    "codes_rules",
    "codes_risk",
    "codes_indices",
}
ERR = {**ERRORS, 429: ERRORS[400]}


class VerifyIn(Schema):
    code: str
    purpose: str | None = None


class VerifyOut(Schema):
    valid: bool
    reason: str
    detail: str = ""
    colour: str | None = None
    purpose: str | None = None
    region: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None


@router.post("/verify", response={200: VerifyOut, **ERR}, auth=None, operation_id="codes_verify")
def verify(request, body: VerifyIn):
    """Verify a code: ``valid`` with one precise ``reason`` (ok, bad_prefix, bad_base45, zlib_bomb,
    bad_zlib, bad_cbor, bad_structure, unknown_kid, untrusted_region, revoked_key, bad_signature,
    expired, not_yet_valid, wrong_purpose). Only aggregate counts are kept."""
    from django.conf import settings

    services.rate_limit(client_ip(request) or "-", per_minute=settings.CODES_VERIFY_RATE_PER_MINUTE)
    if len(body.code) > 8192:
        raise ValidationError.for_field("code", "too long")
    return services.verify_code(body.code, purpose=body.purpose).as_dict()


class CodesTrustListKey(Schema):
    kid: str  # 16 lower-case hex digits, as everywhere
    region: str
    alg: str
    status: str
    public_key_der: str  # standard base64
    jwk: dict[str, str]


class CodesTrustListDocument(Schema):
    format: str
    region: str
    region_name: str
    sequence: int
    issued_at: str
    next_update: str
    keys_digest: str
    keys: list[CodesTrustListKey]


class CodesSignedTrustList(Schema):
    trustlist: CodesTrustListDocument
    anchor_kid: str
    signature: str  # standard base64 of the ES256 r||s over the canonical trustlist


class CodesTrustLists(Schema):
    # Ours first (a CodesSignedTrustList), then the imported ones exactly as received: a schema
    # would drop or add fields and break their signatures, so they stay plain objects.
    lists: list[dict]


class CodesAnchorOut(Schema):
    region: str
    name: str
    anchor_kid: str
    public_key_pem: str


class CodesIndexPoint(Schema):
    day: dt.date
    county: str
    value: float
    numerator: float
    denominator: float


class CodesCountyIndex(CodesIndexPoint):
    name: str


class CodesIndicesOut(Schema):
    kind: str
    series: list[CodesIndexPoint]
    latest: list[CodesCountyIndex]


class CodesRecordAdded(Schema):
    id: int
    kind: str


class CodesOverrideSet(Schema):
    id: int
    colour: str
    valid_until: dt.datetime
    kid: str
    signature: str


class CodesOverrideLifted(Schema):
    id: int
    lifted_at: dt.datetime | None


@router.get(
    "/trustlist", response={200: CodesSignedTrustList, **ERRORS}, auth=None, operation_id="codes_trustlist"
)
def trustlist(request):
    """This region's signed trust list (current, retired and revoked code-signing keys)."""
    return trust.export_signed()


@router.get(
    "/trustlists", response={200: CodesTrustLists, **ERRORS}, auth=None, operation_id="codes_trustlists"
)
def trustlists(request):
    """Every list this installation trusts: ours (signed) and the imported ones (as received, signed
    by their regions' anchors) — the file format the offline CLI and the browser verifier read."""
    return {"lists": [trust.export_signed(), *trust.imported_signed()]}


@router.get("/anchor", response={200: CodesAnchorOut, **ERRORS}, auth=None, operation_id="codes_anchor")
def anchor(request):
    """This region's trust-list anchor public key (to be configured by other regions out of band)."""
    return trust.anchor_export()


class PurposeOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    subject_kind: str
    issuing: bool
    sunset_at: dt.datetime | None
    current_version: int | None


@router.get("/purposes", response={200: list[PurposeOut], **ERRORS}, auth=None, operation_id="codes_purposes")
def purposes(request):
    """The code purposes offered (health, work resumption, ...) with their colours and current rule set."""
    return selectors.purposes_public()


class RuleSetOut(Schema):
    version: int
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    note: str
    rules: list[dict]


@router.get(
    "/purposes/{code}/rules",
    response={200: list[RuleSetOut], **ERRORS},
    auth=None,
    operation_id="codes_rules",
)
def rules(request, code: str):
    """Every published version of a purpose's CertLogic rules, newest first."""
    return selectors.rule_sets_of(services.purpose_get(code))


class RiskQuery(Schema):
    day: dt.date | None = None


class RiskOut(Schema):
    day: dt.date | None
    days: list[dt.date]
    thresholds: dict
    counties: list[dict]


@router.get("/risk", response={200: RiskOut, **ERRORS}, auth=None, operation_id="codes_risk")
def risk(request, q: Query[RiskQuery]):
    """County risk levels (1 low … 5 high) on a day (default: the latest), with their indicators."""
    day, rows = selectors.risk_on(q.day)
    return {
        "day": day,
        "days": selectors.risk_days(),
        "thresholds": services.risk_thresholds(),
        "counties": rows,
    }


class IndexQuery(Schema):
    kind: str = "resumption_rate"
    county: str | None = None
    days: int = 30


@router.get("/indices", response={200: CodesIndicesOut, **ERRORS}, auth=None, operation_id="codes_indices")
def indices(request, q: Query[IndexQuery]):
    """Daily index series (province-wide, or one county) and the latest value per county."""
    if q.kind not in ("resumption_rate", "power_index"):
        raise ValidationError.for_field("kind", "must be resumption_rate or power_index")
    days = max(1, min(q.days, 366))
    return {
        "kind": q.kind,
        "series": selectors.index_series(kind=q.kind, county=q.county, days=days),
        "latest": selectors.index_latest_by_county(q.kind),
    }


# ---------------------------------------------------------------- citizens


class MyCodeOut(Schema):
    purpose: str
    colour: str
    code: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    reasons: list[dict]


def _my_subject(request) -> Subject:
    subject = services.subject_of_user(request.auth)
    if subject is None:
        raise NotFound("no registry record is linked to your account (verify your real name first)")
    return subject


@router.get("/me/{purpose}", response={200: MyCodeOut, **ERRORS}, operation_id="codes_my_code")
def my_code(request, purpose: str):
    """Your current code for a purpose (issued afresh when needed), with the reasons for its colour."""
    p = services.purpose_get(purpose)
    issuance = services.current_issuance(_my_subject(request), p)
    return {
        "purpose": p.code,
        "colour": issuance.colour,
        "code": issuance.code,
        "issued_at": issuance.issued_at,
        "expires_at": issuance.expires_at,
        "reasons": issuance.reasons,
    }


class AppealIn(Schema):
    kind: str = "appeal"
    text: str


class AppealOut(Schema):
    id: int
    kind: str
    state: str
    text: str
    response: str
    submitted_at: dt.datetime


@router.post("/me/{purpose}/appeals", response={201: AppealOut, **ERRORS}, operation_id="codes_appeal_submit")
def appeal_submit(request, purpose: str, body: AppealIn):
    """Appeal the colour of the caller's own code for a purpose, with a reason."""
    appeal = services.appeal_submit(
        actor=request.auth,
        subject=_my_subject(request),
        purpose=services.purpose_get(purpose),
        kind=body.kind,
        text=body.text,
    )
    return Status(201, appeal)


# ---------------------------------------------------------------- staff


def _subject(request, subject_id: int) -> Subject:
    subject = Subject.objects.filter(pk=subject_id).select_related("org_unit").first()
    if subject is None or not can(request.auth, "codes.view", subject.org_unit):
        raise NotFound("no such subject in your scope")
    return subject


class RecordIn(Schema):
    purpose: str
    kind: str
    occurred_on: dt.date
    until: dt.date | None = None
    data: dict = {}


@router.post(
    "/subjects/{subject_id}/records",
    response={201: CodesRecordAdded, **ERRORS},
    operation_id="codes_record_add",
)
def record_add(request, subject_id: int, body: RecordIn):
    """Add a record (test result, declaration, ...) to a subject; the colour is re-evaluated."""
    record = services.record_add(
        actor=request.auth,
        subject=_subject(request, subject_id),
        purpose=services.purpose_get(body.purpose),
        kind=body.kind,
        occurred_on=body.occurred_on,
        until=body.until,
        data=body.data,
    )
    return Status(201, {"id": record.pk, "kind": record.kind})


class OverrideIn(Schema):
    purpose: str
    colour: str
    reason: str
    hours: int = 72


@router.post(
    "/subjects/{subject_id}/overrides",
    response={201: CodesOverrideSet, **ERRORS},
    operation_id="codes_override_set",
)
def override_set(request, subject_id: int, body: OverrideIn):
    """Set a manual colour override on a subject's code, with a reason and an end time (audited)."""
    o = services.override_set(
        actor=request.auth,
        subject=_subject(request, subject_id),
        purpose=services.purpose_get(body.purpose),
        colour=body.colour,
        reason=body.reason,
        hours=body.hours,
    )
    return Status(
        201,
        {
            "id": o.pk,
            "colour": o.colour,
            "valid_until": o.valid_until,
            "kid": o.kid,
            "signature": o.signature,
        },
    )


class LiftIn(Schema):
    reason: str


@router.post(
    "/overrides/{override_id}/lift",
    response={200: CodesOverrideLifted, **ERRORS},
    operation_id="codes_override_lift",
)
def override_lift(request, override_id: int, body: LiftIn):
    """Lift a manual colour override before it ends (audited)."""
    o = ColourOverride.objects.filter(pk=override_id).select_related("subject__org_unit", "purpose").first()
    if o is None:
        raise NotFound("no such override")
    services.override_lift(actor=request.auth, override=o, reason=body.reason)
    return {"id": o.pk, "lifted_at": o.lifted_at}


class RuleSetIn(Schema):
    rules: list[dict]
    valid_from: dt.datetime | None = None
    note: str = ""


@router.post(
    "/purposes/{code}/rules", response={201: RuleSetOut, **ERRORS}, operation_id="codes_ruleset_publish"
)
def ruleset_publish(request, code: str, body: RuleSetIn):
    """Publish a new rule set for a purpose; codes are re-evaluated with it from now on."""
    rs = services.rule_set_publish(
        actor=request.auth,
        purpose=services.purpose_get(code),
        rules=body.rules,
        valid_from=body.valid_from,
        note=body.note,
    )
    return Status(201, rs)


class SunsetIn(Schema):
    delete_after_days: int = 30
    reason: str = ""


@router.post(
    "/purposes/{code}/sunset", response={200: PurposeOut, **ERRORS}, operation_id="codes_purpose_sunset"
)
def purpose_sunset(request, code: str, body: SunsetIn):
    """Sunset a purpose now: issuance stops, current codes stop being current, and its data is
    deleted after ``delete_after_days`` (0-365; codes.manage_rules; audited)."""
    services.purpose_sunset(
        actor=request.auth,
        purpose=services.purpose_get(code),
        delete_after_days=body.delete_after_days,
        reason=body.reason,
    )
    return next(p for p in selectors.purposes_public() if p["code"] == code)


APPEAL_DECISIONS = {"uphold": services.appeal_uphold, "reject": services.appeal_reject}


class DecideIn(Schema):
    action: str
    note: str


@router.post(
    "/appeals/{appeal_id}/decide", response={200: AppealOut, **ERRORS}, operation_id="codes_appeal_decide"
)
def appeal_decide(request, appeal_id: int, body: DecideIn):
    """Decide an appeal: ``uphold`` or ``reject``, with a note (staff in scope)."""
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound("no such appeal")
    decide = APPEAL_DECISIONS.get(body.action)
    if decide is None:
        raise ValidationError.for_field("action", _("action must be uphold or reject"))
    decide(actor=request.auth, appeal=appeal, note=body.note)
    return appeal


@router.get("/stats", response={200: list[dict], **ERRORS}, operation_id="codes_stats")
def stats(request):
    """Verification counts (the only thing verifiers keep)."""
    ensure_can(request.auth, "codes.view")
    return selectors.verification_stats()
