from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Query, Router, Schema, Status

from zhengtong.accounts.permissions import ensure_authenticated, scope_q
from zhengtong.core import ratelimit
from zhengtong.core.middleware import client_ip
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS, Error
from zhengtong.payments import services
from zhengtong.payments.models import Bill

router = Router(tags=["payments"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {"payments_callback"}


class CallbackAck(Schema):
    code: str
    message: str = ""
    outcome: str = ""


@router.post(
    "/callbacks/{provider}",
    auth=None,
    response={200: CallbackAck, 400: CallbackAck, 404: ERRORS[404], 429: Error},
    operation_id="payments_callback",
)
def callback(request, provider: str):
    """The payment provider's asynchronous notification (signed: ``X-ZT-Timestamp``,
    ``X-ZT-Nonce``, ``X-ZT-Signature`` = hex HMAC-SHA256 over "timestamp\\nnonce\\nbody").
    200 ``{"code": "SUCCESS"}`` acknowledges (duplicates too); 400 rejects (forged, stale,
    replayed, malformed) and writes nothing (rejections are only counted); 429 past
    ``PAYMENTS_CALLBACK_RATE_PER_MINUTE`` requests per client address. Every verified notice is
    kept in the provider-event ledger."""
    ratelimit.hit(
        "payments.callback", client_ip(request) or "-", limit=settings.PAYMENTS_CALLBACK_RATE_PER_MINUTE
    )
    status, body = services.callback_receive(provider, request.headers, request.body)
    return Status(status, body)


class ItemOut(Schema):
    name: str
    amount_fen: int


class BillOut(Schema):
    number: str
    reference: str
    org_unit: str
    department: str | None
    description: str
    items: list[ItemOut]
    total_fen: int
    total_yuan: str
    paid_fen: int
    refunded_fen: int
    state: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
    pay_url: str

    @staticmethod
    def resolve_org_unit(obj: Bill) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_department(obj: Bill) -> str | None:
        return obj.department.name if obj.department_id else None


class BillPage(Schema):
    items: list[BillOut]
    next: str | None


class BillQuery(Schema):
    state: str = ""
    reference: str = ""
    mine: bool = False
    cursor: str | None = None
    limit: int | None = None


@router.get("/bills", response={200: BillPage, **ERRORS}, operation_id="payments_bills")
def bills(request, f: Query[BillQuery]):
    """Bills: ``mine=true`` for the bills addressed to you; otherwise those in your
    payments.view scope."""
    ensure_authenticated(request.auth)
    if f.mine:
        qs = Bill.objects.filter(payer_id=request.auth.pk)
    else:
        qs = Bill.objects.filter(scope_q(request.auth, "payments.view", department_field="department"))
    if f.state:
        qs = qs.filter(state=f.state)
    if f.reference:
        qs = qs.filter(reference=f.reference)
    page = keyset_page(
        qs.select_related("org_unit", "department"),
        order=["-created_at", "-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit),
    )
    return {"items": page.items, "next": page.next_cursor}


@router.get("/bills/{number}", response={200: BillOut, **ERRORS}, operation_id="payments_bill")
def bill(request, number: str):
    """One bill by its number: amount, payer, state and payment channel (its payer or staff in scope)."""
    return services.bill_get_for_payer(request.auth, number)


class PayOut(Schema):
    payment: str
    redirect_url: str


@router.post("/bills/{number}/pay", response={200: PayOut, **ERRORS}, operation_id="payments_bill_pay")
def pay(request, number: str):
    """Start paying a bill addressed to you: follow ``redirect_url`` to the provider's page."""
    bill = services.bill_get_for_payer(request.auth, number)
    from django.urls import reverse

    payment, url = services.payment_start(
        actor=request.auth, bill=bill, return_url=reverse("payments:pay_return", args=[bill.number])
    )
    return {"payment": payment.token, "redirect_url": url}


class RefundIn(Schema):
    amount_fen: int
    reason: str


class RefundOut(Schema):
    refund_no: str
    amount_fen: int
    state: str


@router.post("/bills/{number}/refunds", response={200: RefundOut, **ERRORS}, operation_id="payments_refund")
def refund(request, number: str, payload: RefundIn):
    """Refund (part of) a paid bill (payments.refund). It counts once the provider confirms."""
    bill = services.bill_get_for_payer(request.auth, number)
    return services.refund_create(
        actor=request.auth, bill=bill, amount_fen=payload.amount_fen, reason=payload.reason
    )


class ReconQuery(Schema):
    day: dt.date


class ReconRow(Schema):
    status: str
    type: str
    provider_id: str
    order: str
    ours_fen: int | None = None
    provider_fen: int | None = None


class ReconOut(Schema):
    day: dt.date
    ok: bool
    matched: int
    missing_ours: int
    missing_provider: int
    mismatched: int
    rows: list[ReconRow]


@router.get("/reconciliation", response={200: ReconOut, **ERRORS}, operation_id="payments_reconciliation")
def reconciliation(request, f: Query[ReconQuery]):
    """Our ledger of ``day`` against the provider's statement (payments.reconcile)."""
    result = services.reconcile(actor=request.auth, day=f.day)
    return {
        "day": result.day,
        "ok": result.ok,
        "matched": len(result.matched),
        "missing_ours": len(result.missing_ours),
        "missing_provider": len(result.missing_provider),
        "mismatched": len(result.mismatched),
        "rows": result.rows(),
    }
