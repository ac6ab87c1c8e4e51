"""Sharing API at /api/v1/sharing: the sharing directory and attributes, requests and their
decision, grants and their keys, the exchange endpoints (verification and interface, with the
key bound to a grant), receipts, usage, data objections, and this installation's description.

The exchange endpoints authenticate the key of a grant (``Authorization: Bearer zts_…``), not a
person; every call, answered or refused, is in the exchange log with a signed receipt (an
unknown key is refused without a log entry, rate-limited per client address).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import Field

from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.sharing import api_peers, selectors, services
from zhengtong.sharing.models import Exchange, Grant, SharingProfile, SharingRequest

router = Router(tags=["sharing"])

PUBLIC_OPERATIONS: set[str] = {"sharing_installation", *api_peers.PUBLIC_OPERATIONS}


def _mount(sub: Router) -> None:
    """Serve a use-case file's operations (``api_peers``) under this router's own prefix (as
    ``services.api`` does: nesting with ``add_router("", ...)`` loses the slash in the paths)."""
    for path, view in sub.path_operations.items():
        if path in router.path_operations:
            router.path_operations[path].operations.extend(view.operations)
        else:
            router.path_operations[path] = view


_mount(api_peers.router)

EXCHANGE_ERRORS = {**ERRORS, 429: ERRORS[401]}


class GrantKey(HttpBearer):
    """The key of a grant (``zts_…``): authentication of the consumer's system; the grant
    itself is checked, and the call logged, by the service."""

    openapi_description = (
        "Key of a sharing grant: `Authorization: Bearer zts_…` (issued on the grant's page), or an "
        "access token of the identity centre with the scope `sharing:grant:<id>` (client credentials)."
    )

    def authenticate(self, request, token):
        if token.startswith("zts_"):
            return token if len(token) <= 200 else None
        return token if token.count(".") == 2 and len(token) <= 4000 else None


class ProfileOut(Schema):
    id: int
    title: str
    source: str
    owner: str
    sharing_type: str
    legal_basis: str
    fields: list[dict]
    key_field: str
    region_field: str
    modes: list[str]

    @staticmethod
    def resolve_source(obj: SharingProfile) -> str:
        return f"registry:{obj.registry}" if obj.registry else f"resource:{obj.resource.name}"

    @staticmethod
    def resolve_owner(obj: SharingProfile) -> str:
        return obj.department.name


class FieldSetting(Schema):
    shareable: bool = True
    grade: str = ""


class ProfileIn(Schema):
    sharing_type: str
    legal_basis: str = Field("", max_length=500)
    fields: dict[str, FieldSetting] = {}
    key_field: str = Field("", max_length=100)
    region_field: str = Field("", max_length=100)
    modes: list[str] = []


class SharingRequestIn(Schema):
    profile: int
    fields: list[str] = Field(..., max_length=200)
    purpose: str = Field(..., max_length=2000)
    legal_basis: str = Field("", max_length=500)
    row_scope: str = Field("", max_length=15)
    mode: str = "verification"
    rate_limit_per_minute: int | None = None
    valid_until: dt.date
    hours_from: int = 0
    hours_to: int = 24
    service_item_code: str = Field("", max_length=64)


class SharingRequestOut(Schema):
    id: int
    profile: int = Field(..., alias="profile_id")
    consumer: str
    state: str
    grade: str
    fields: list[str]
    purpose: str
    legal_basis: str
    row_scope: str
    mode: str
    valid_until: dt.date
    approvals: list[dict]
    approvals_needed: list[str]
    sla_deadline: dt.date | None
    grant: int | None

    @staticmethod
    def resolve_consumer(obj: SharingRequest) -> str:
        return obj.consumer_label

    @staticmethod
    def resolve_approvals_needed(obj: SharingRequest) -> list[str]:
        return services.approvals_needed(obj)

    @staticmethod
    def resolve_grant(obj: SharingRequest) -> int | None:
        grant = Grant.objects.filter(request=obj).values_list("pk", flat=True).first()
        return grant


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class SharingGrantOut(Schema):
    id: int
    profile: int = Field(..., alias="profile_id")
    title: str
    owner: str
    consumer: str
    state: str
    fields: list[str]
    row_scope: str
    purpose: str
    mode: str
    rate_limit_per_minute: int
    hours_from: int
    hours_to: int
    expires_at: dt.datetime
    service_item_code: str

    @staticmethod
    def resolve_title(obj: Grant) -> str:
        return obj.profile.title

    @staticmethod
    def resolve_owner(obj: Grant) -> str:
        return obj.department.name

    @staticmethod
    def resolve_consumer(obj: Grant) -> str:
        return obj.consumer_label


class GrantPage(Schema):
    items: list[SharingGrantOut]
    next: str | None = None


class SharingKeyOut(Schema):
    grant: int
    key: str
    expires_at: dt.datetime


class SharingVerifyIn(Schema):
    subject: dict[str, str] = Field(..., max_length=20)
    on_behalf_of: str = Field("", max_length=64)
    end_user: str = Field("", max_length=100)


class Receipt(Schema):
    payload: dict
    alg: str
    kid: str
    signature: str


class SharingVerifyOut(Schema):
    result: str
    fields: dict[str, str]
    receipt: Receipt


class FilterIn(Schema):
    field: str = Field(..., max_length=100)
    op: str = Field("eq", max_length=12)
    value: str | int | float | bool | None | list[str | int | float] = None


class RowsIn(Schema):
    fields: list[str] = Field([], max_length=200)
    filters: list[FilterIn] = Field([], max_length=20)
    limit: int = 50
    after: str | None = Field(None, max_length=2000)
    on_behalf_of: str = Field("", max_length=64)
    end_user: str = Field("", max_length=100)


class RowsOut(Schema):
    rows: list[dict]
    next: str | None
    receipt: Receipt


class ExchangeOut(Schema):
    receipt_id: str
    grant: int | None = Field(None, alias="grant_id")
    mode: str
    on_behalf_of: str
    outcome: str
    reason: str
    rows: int
    at: dt.datetime
    request_sha256: str
    response_sha256: str

    @staticmethod
    def resolve_receipt_id(obj: Exchange) -> str:
        return str(obj.receipt_id)


class ExchangePage(Schema):
    items: list[ExchangeOut]
    next: str | None = None


class ObjectionIn(Schema):
    description: str = Field(..., max_length=4000)
    field_name: str = Field("", max_length=100)
    record_ref: str = Field("", max_length=100)


class ObjectionOut(Schema):
    id: int
    grant: int = Field(..., alias="grant_id")
    state: str
    field_name: str
    record_ref: str
    description: str
    answer: str
    sla_deadline: dt.date | None


class SharingAnswerIn(Schema):
    answer: str = Field(..., max_length=4000)


class InstallationOut(Schema):
    installation: str
    verify_url: str
    rows_url: str
    keys_url: str


@router.get("/profiles", response={200: list[ProfileOut], **ERRORS}, operation_id="sharing_profiles")
def profiles(request):
    """The sharing directory: every source's sharing type and shareable fields."""
    return list(selectors.profiles_directory(actor=request.auth)[:500])


@router.get("/profiles/{profile_id}", response={200: ProfileOut, **ERRORS}, operation_id="sharing_profile")
def profile(request, profile_id: int):
    """One sharing profile (the fields a source offers, their grades and legal basis) visible to you."""
    return selectors.profile_get(actor=request.auth, pk=profile_id)


@router.put(
    "/resources/{name}/profile",
    response={200: ProfileOut, **ERRORS},
    operation_id="sharing_resource_profile_set",
)
def resource_profile_set(request, name: str, payload: ProfileIn):
    """Set the sharing attributes of a catalogue resource (its owner department)."""
    resource = catalog_selectors.resource_get(user=request.auth, name_or_id=name)
    data = payload.dict()
    data["fields"] = {k: v for k, v in data["fields"].items()}
    return services.profile_set(actor=request.auth, resource=resource, **data)


@router.post("/requests", response={201: SharingRequestOut, **ERRORS}, operation_id="sharing_request_create")
def request_create(request, payload: SharingRequestIn):
    """Request fields of a source for your department (purpose, legal basis, period)."""
    data = payload.dict()
    data["profile"] = selectors.profile_get(actor=request.auth, pk=data["profile"])
    return Status(201, services.request_create(actor=request.auth, **data))


@router.get("/requests", response={200: list[SharingRequestOut], **ERRORS}, operation_id="sharing_requests")
def requests_list(request, to_decide: bool = False):
    """Your department's requests, or (``to_decide``) those waiting for your decision."""
    qs = (
        selectors.requests_to_decide(actor=request.auth)
        if to_decide
        else selectors.requests_of(actor=request.auth)
    )
    return list(qs[:200])


@router.get(
    "/requests/{request_id}", response={200: SharingRequestOut, **ERRORS}, operation_id="sharing_request"
)
def request_detail(request, request_id: int):
    """One sharing request of your department, or one waiting for your decision."""
    return selectors.request_get(actor=request.auth, pk=request_id)


@router.post(
    "/requests/{request_id}/{action}",
    response={200: SharingRequestOut, **ERRORS},
    operation_id="sharing_request_action",
)
def request_action(request, request_id: int, action: str, payload: NoteIn):
    """``approve`` (one approval; the grade says how many), ``reject`` (with a note) or ``withdraw``."""
    obj = selectors.request_get(actor=request.auth, pk=request_id)
    if action == "approve":
        services.request_approve(actor=request.auth, request=obj, note=payload.note)
    elif action == "reject":
        services.request_reject(actor=request.auth, request=obj, note=payload.note)
    elif action == "withdraw":
        services.request_withdraw(actor=request.auth, request=obj)
    else:
        obj.workflow.transition(action)  # raises the validation error naming the action
    return selectors.request_get(actor=request.auth, pk=request_id)


@router.get("/grants", response={200: GrantPage, **ERRORS}, operation_id="sharing_grants")
def grants(request, as_owner: bool = False, cursor: str | None = None, limit: int | None = None):
    """Grants your department holds (or, ``as_owner``, those on your data)."""
    qs = (
        selectors.grants_as_owner(actor=request.auth)
        if as_owner
        else selectors.grants_as_consumer(actor=request.auth)
    )
    page = keyset_page(qs, order=["-id"], cursor=cursor, limit=clamp_limit(limit))
    return {"items": page.items, "next": page.next_cursor}


@router.get("/grants/{grant_id}", response={200: SharingGrantOut, **ERRORS}, operation_id="sharing_grant")
def grant(request, grant_id: int):
    """One sharing grant (fields, purpose, period) held or given by your department."""
    return selectors.grant_get(actor=request.auth, pk=grant_id)


@router.post(
    "/grants/{grant_id}/key", response={201: SharingKeyOut, **ERRORS}, operation_id="sharing_grant_key"
)
def grant_key(request, grant_id: int):
    """Issue (or replace) the key your system presents for this grant; shown once."""
    obj = selectors.grant_get(actor=request.auth, pk=grant_id)
    row, secret = services.grant_key_issue(actor=request.auth, grant=obj)
    return Status(201, {"grant": obj.pk, "key": secret, "expires_at": row.expires_at})


class ExtractOut(Schema):
    receipt_id: str
    rows: int
    download: str


@router.post(
    "/grants/{grant_id}/extract", response={201: ExtractOut, **ERRORS}, operation_id="sharing_grant_extract"
)
def grant_extract(request, grant_id: int):
    """A one-off batch extract under a batch grant, watermarked, delivered to your inbox."""
    obj = selectors.grant_get(actor=request.auth, pk=grant_id)
    extract = services.batch_extract(actor=request.auth, grant=obj)
    return Status(
        201,
        {
            "receipt_id": str(extract.receipt_id),
            "rows": extract.rows,
            "download": f"/sharing/batches/{extract.receipt_id}/",
        },
    )


@router.post(
    "/grants/{grant_id}/{action}",
    response={200: SharingGrantOut, **ERRORS},
    operation_id="sharing_grant_action",
)
def grant_action(request, grant_id: int, action: str, payload: NoteIn):
    """``suspend`` / ``revoke`` (with a note) or ``resume`` (the owner or the data security officer)."""
    obj = selectors.grant_get(actor=request.auth, pk=grant_id)
    functions = {
        "suspend": services.grant_suspend,
        "resume": services.grant_resume,
        "revoke": services.grant_revoke,
    }
    if action not in functions:
        obj.workflow.transition(action)  # an unknown action: the validation error names it
        raise PermissionDenied(_("you may not “%s” this grant") % action)
    else:
        functions[action](actor=request.auth, grant=obj, note=payload.note)
    return selectors.grant_get(actor=request.auth, pk=grant_id)


@router.post(
    "/grants/{grant_id}/objections",
    response={201: ObjectionOut, **ERRORS},
    operation_id="sharing_objection_raise",
)
def objection_raise(request, grant_id: int, payload: ObjectionIn):
    """Raise a data objection (数据异议) on data obtained under this grant."""
    obj = selectors.grant_get(actor=request.auth, pk=grant_id)
    return Status(201, services.objection_raise(actor=request.auth, grant=obj, **payload.dict()))


@router.post(
    "/objections/{objection_id}/answer",
    response={200: ObjectionOut, **ERRORS},
    operation_id="sharing_objection_answer",
)
def objection_answer(request, objection_id: int, payload: SharingAnswerIn):
    """The data owner's answer to an objection (corrected, or why the data stands); stops the clock."""
    obj = selectors.objection_get(actor=request.auth, pk=objection_id)
    return services.objection_answer(actor=request.auth, objection=obj, answer=payload.answer)


@router.get("/exchanges", response={200: ExchangePage, **ERRORS}, operation_id="sharing_exchanges")
def exchanges(
    request, grant: int | None = None, case: str = "", cursor: str | None = None, limit: int | None = None
):
    """The exchange log of your data (as owner) and of your calls (as consumer)."""
    grant_obj = selectors.grant_get(actor=request.auth, pk=grant) if grant else None
    qs = selectors.exchanges_for(actor=request.auth, grant=grant_obj, case=case[:64])
    page = keyset_page(qs, order=["-id"], cursor=cursor, limit=clamp_limit(limit))
    return {"items": page.items, "next": page.next_cursor}


@router.get("/receipts/{receipt_id}", response={200: Receipt, **ERRORS}, operation_id="sharing_receipt")
def receipt(request, receipt_id: str):
    """The signed receipt of one exchange (both parties may fetch it)."""
    return selectors.receipt_of(selectors.exchange_get(actor=request.auth, receipt_id=receipt_id))


@router.get("/usage", response={200: list[dict], **ERRORS}, operation_id="sharing_usage")
def usage(request):
    """Who uses my data: per grant, the consumer, purpose, calls, refusals, cases, last call."""
    return selectors.usage_for_owner(actor=request.auth)


@router.post(
    "/exchange/verify",
    response={200: SharingVerifyOut, **EXCHANGE_ERRORS},
    auth=GrantKey(),
    operation_id="sharing_exchange_verify",
)
def exchange_verify(request, payload: SharingVerifyIn):
    """Verification (核验): send what you hold; get match / no_match / not_found per field, never
    the data. Send the case number as ``on_behalf_of``."""
    return services.exchange_call(
        secret=request.auth,
        mode="verification",
        body=payload.dict(),
        client=request.META.get("REMOTE_ADDR", ""),
    )


@router.post(
    "/exchange/rows",
    response={200: RowsOut, **EXCHANGE_ERRORS},
    auth=GrantKey(),
    operation_id="sharing_exchange_rows",
)
def exchange_rows(request, payload: RowsIn):
    """Interface delivery: rows of the granted fields within the grant's row scope."""
    body = payload.dict()
    body["filters"] = [dict(f) for f in body["filters"]]
    return services.exchange_call(
        secret=request.auth, mode="interface", body=body, client=request.META.get("REMOTE_ADDR", "")
    )


@router.get("/installation", response={200: InstallationOut}, auth=None, operation_id="sharing_installation")
def installation(request):
    """This installation's id, exchange endpoints and published keys (for other installations'
    trust lists)."""
    base = request.build_absolute_uri("/")[:-1]
    return {
        "installation": settings.SHARING_INSTALLATION_ID,
        "verify_url": f"{base}/api/v1/sharing/exchange/verify",
        "rows_url": f"{base}/api/v1/sharing/exchange/rows",
        "keys_url": f"{base}/seals/keys.json",
    }


class PeerOut(Schema):
    installation: str
    base_url: str
    keys: int
    refreshed_at: dt.datetime | None

    @staticmethod
    def resolve_keys(obj) -> int:
        return len(obj.keys.get("keys", []))


class RemoteVerifyIn(SharingVerifyIn):
    # Optional: without it, the key the other installation issued for your department's
    # approved request (kept here, encrypted) is used.
    key: str = Field("", max_length=200)


@router.get("/peers", response={200: list[PeerOut], **ERRORS}, operation_id="sharing_peers")
def peers(request):
    """The trust list: other installations, their exchange endpoints and keys."""
    return list(selectors.peers())


@router.post(
    "/peers/{installation}/verify",
    response={200: SharingVerifyOut, **ERRORS},
    operation_id="sharing_peer_verify",
)
def peer_verify(request, installation: str, payload: RemoteVerifyIn):
    """Verification against another installation's source, under the grant it issued to your
    department (its key as kept from your request to it, or the one passed); logged here and
    there, its receipt checked against its published keys."""
    data = payload.dict()
    return services.remote_verify(
        actor=request.auth,
        installation=installation[:100],
        key=data["key"],
        subject=data["subject"],
        on_behalf_of=data["on_behalf_of"],
        end_user=data["end_user"],
    )


class AgreementOut(Schema):
    version: int
    text: str
    created_at: dt.datetime


class AcceptIn(Schema):
    version: int


class SharingReportIn(Schema):
    period: str = Field(..., max_length=40)
    text: str = Field(..., max_length=10000)


class SharingReportOut(Schema):
    id: int
    period: str
    text: str
    submitted_at: dt.datetime


def _application(request, application_id: int):
    application = catalog_selectors.application_get(application_id)
    if application is None:
        raise NotFound(_("no such application"))
    return application


@router.get("/open/agreement", response={200: AgreementOut, **ERRORS}, operation_id="sharing_open_agreement")
def open_agreement(request):
    """The current data-use agreement for conditionally open data."""
    agreement = services.agreement_current()
    if agreement is None:
        raise NotFound(_("no agreement published yet"))
    return agreement


@router.post(
    "/open/applications/{application_id}/accept",
    response={200: dict, **ERRORS},
    operation_id="sharing_open_accept",
)
def open_accept(request, application_id: int, payload: AcceptIn):
    """Accept the current agreement version for your application."""
    terms = services.terms_accept(
        actor=request.auth, application=_application(request, application_id), version=payload.version
    )
    return {
        "application": application_id,
        "version": terms.agreement.version,
        "accepted_at": terms.accepted_at.isoformat(),
    }


@router.post(
    "/open/applications/{application_id}/reports",
    response={201: SharingReportOut, **ERRORS},
    operation_id="sharing_open_report",
)
def open_report(request, application_id: int, payload: SharingReportIn):
    """Report how the data of your approved application was used."""
    application = _application(request, application_id)
    return Status(
        201, services.usage_report_submit(actor=request.auth, application=application, **payload.dict())
    )


@router.get(
    "/open/applications/{application_id}/reports",
    response={200: list[SharingReportOut], **ERRORS},
    operation_id="sharing_open_reports",
)
def open_reports(request, application_id: int):
    """An application's usage reports (its applicant and the owning department's deciders)."""
    return selectors.usage_reports_for(actor=request.auth, application=_application(request, application_id))
