"""Unified payment: bills, payments through a provider, idempotent confirmation, refunds,
reconciliation. Amounts are integer fen everywhere; yuan only on display.

Confirmation is idempotent: the payment row is locked (SELECT ... FOR UPDATE; SQLite write
transactions are IMMEDIATE) and flipped with a conditional UPDATE (state='created'), and
``provider_txn_id`` is unique, so a payment is never counted twice and ``on_paid`` hooks fire
once per bill, whatever the provider replays, duplicates or reorders.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import can, ensure_authenticated, ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core import ratelimit
from zhengtong.core.errors import Conflict, CoreError, NotFound, PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.payments import hooks
from zhengtong.payments.errors import PaymentsError
from zhengtong.payments.models import Bill, Payment, ProviderEvent, Refund, yuan
from zhengtong.payments.providers import CallbackEvent, CallbackRejected, get_provider

# The daily reconciliation is its own use case; callers keep writing ``services.reconcile(...)``.
from zhengtong.payments.reconciliation import (  # noqa: F401 - re-exported
    Reconciliation,
    ledger_entries,
    parse_statement,
    reconcile,
)

logger = logging.getLogger(__name__)

audit_actions.register(
    {
        "payments.bill.create": gettext_lazy("Create bill"),
        "payments.bill.cancel": gettext_lazy("Cancel bill"),
        "payments.bill.paid": gettext_lazy("Bill paid"),
        "payments.payment.start": gettext_lazy("Start payment"),
        "payments.payment.confirm": gettext_lazy("Confirm payment"),
        "payments.refund.request": gettext_lazy("Request refund"),
        "payments.refund.confirm": gettext_lazy("Confirm refund"),
        "payments.callback.rejected": gettext_lazy("Reject payment callback"),
        "payments.reconcile": gettext_lazy("Reconcile payments"),
    }
)

MAX_ITEMS = 50
MAX_ITEM_FEN = 10**11  # 10 亿元: far beyond any government fee; guards against unit mistakes


def _bill_number() -> str:
    return timezone.localdate().strftime("%Y%m%d") + f"{secrets.randbelow(10**10):010d}"


def clean_items(items: Any) -> list[dict]:
    if not isinstance(items, list | tuple) or not items:
        raise ValidationError.for_field("items", _("at least one item is required"))
    if len(items) > MAX_ITEMS:
        raise ValidationError.for_field("items", _("at most %d items") % MAX_ITEMS)
    cleaned = []
    for i, item in enumerate(items):
        try:
            name, amount = item
        except (TypeError, ValueError):
            raise ValidationError.for_field(
                f"items[{i}]", _("must be a (name, amount in fen) pair")
            ) from None
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise ValidationError.for_field(f"items[{i}].name", _("is required, at most 100 characters"))
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValidationError.for_field(f"items[{i}].amount_fen", _("must be an integer number of fen"))
        if amount <= 0 or amount > MAX_ITEM_FEN:
            raise ValidationError.for_field(f"items[{i}].amount_fen", _("must be a positive amount"))
        cleaned.append({"name": name.strip(), "amount_fen": amount})
    return cleaned


def bill_create(
    *,
    actor: Any,
    payer: Any,
    reference: str,
    org_unit: Any,
    department: Any = None,
    items: list[tuple[str, int]],
    description: str = "",
) -> Bill:
    """Issue a bill (payments.bill at ``org_unit``). ``reference`` ("case:123") is unique among
    bills that are not cancelled: a second bill for it is a Conflict."""
    ensure_can(actor, "payments.bill", org_unit, department)
    return _bill_create(
        actor=actor,
        payer=payer,
        reference=reference,
        org_unit=org_unit,
        department=department,
        items=items,
        description=description,
        via="",
    )


def bill_create_for_case(
    *,
    payer: Any,
    via: str,
    reference: str,
    org_unit: Any,
    department: Any = None,
    items: list[tuple[str, int]],
    description: str = "",
) -> Bill:
    """A trusted internal entry point: the module ``via`` (e.g. "services") bills ``payer`` for
    their own case (``reference`` "case:123", "bundle:45"), on the payer's behalf. No billing
    role is asked: the calling module has checked that the referenced case is the payer's and
    what it costs. The bill and its audit event name the payer as the actor and ``via`` as the
    module. Same rules as ``bill_create`` otherwise (items, one live bill per reference)."""
    ensure_authenticated(payer)
    if not via:
        raise ValueError("bill_create_for_case needs the calling module as via")
    return _bill_create(
        actor=payer,
        payer=payer,
        reference=reference,
        org_unit=org_unit,
        department=department,
        items=items,
        description=description,
        via=via,
    )


def _bill_create(
    *,
    actor: Any,
    payer: Any,
    reference: str,
    org_unit: Any,
    department: Any,
    items: list[tuple[str, int]],
    description: str,
    via: str,
) -> Bill:
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 64 or ":" not in reference:
        raise ValidationError.for_field("reference", _("must look like “case:123” (at most 64 characters)"))
    cleaned = clean_items(items)
    total = sum(i["amount_fen"] for i in cleaned)
    with transaction.atomic():
        if Bill.objects.filter(reference=reference).exclude(state=Bill.State.CANCELLED).exists():
            raise Conflict(_("there is already a bill for %s") % reference, code=CoreError.DUPLICATE)
        try:
            with transaction.atomic():
                bill = Bill.objects.create(
                    number=_bill_number(),
                    reference=reference,
                    payer=payer,
                    org_unit=org_unit,
                    department=department,
                    description=(description or "")[:200],
                    items=cleaned,
                    total_fen=total,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError:
            raise Conflict(
                _("there is already a bill for %s") % reference, code=CoreError.DUPLICATE
            ) from None
        audit.record(
            actor=actor,
            action="payments.bill.create",
            target=bill,
            org_unit=org_unit,
            after={"reference": reference, "total_fen": total, "items": cleaned},
            via=via,
        )
    return bill


def bill_for(reference: str) -> Bill | None:
    """The current bill of ``reference`` (not cancelled), or None."""
    return Bill.objects.filter(reference=reference).exclude(state=Bill.State.CANCELLED).first()


def bill_is_paid(bill: Bill) -> bool:
    """Whether ``bill`` is paid in full (refunds not counted: "paid" as on_paid hooks see it)."""
    return bill.state == Bill.State.PAID


def bill_cancel(*, actor: Any, bill: Bill, reason: str) -> Bill:
    """Cancel an unpaid bill (payments.bill). A paid bill is refunded instead (Conflict)."""
    ensure_can(actor, "payments.bill", bill.org_unit, bill.department)
    if not (reason or "").strip():
        raise ValidationError.for_field("reason", _("a reason is required"))
    with transaction.atomic():
        now = timezone.now()
        updated = Bill.objects.filter(pk=bill.pk, state=Bill.State.UNPAID).update(
            state=Bill.State.CANCELLED, cancelled_at=now
        )
        if updated != 1:
            bill.refresh_from_db()
            raise Conflict(_("only an unpaid bill can be cancelled (it is %s)") % bill.get_state_display())
        bill.state, bill.cancelled_at = Bill.State.CANCELLED, now
        audit.record(
            actor=actor,
            action="payments.bill.cancel",
            target=bill,
            org_unit=bill.org_unit,
            before={"state": "unpaid"},
            after={"state": "cancelled"},
            note=reason,
        )
    return bill


def bill_get_for_payer(user: Any, number: str) -> Bill:
    """A bill as its payer (or staff with payments.view in its scope) may see it."""
    ensure_authenticated(user)
    bill = Bill.objects.select_related("org_unit", "department").filter(number=number).first()
    if bill is None or not _may_view(user, bill):
        raise NotFound(_("no such bill"))
    return bill


def _may_view(user: Any, bill: Bill) -> bool:
    return (bill.payer_id is not None and bill.payer_id == user.pk) or can(
        user, "payments.view", bill.org_unit, bill.department
    )


# -- paying ------------------------------------------------------------------------------------


def payment_start(*, actor: Any, bill: Bill, return_url: str) -> tuple[Payment, str]:
    """The payer starts paying ``bill``; returns the payment and where to redirect them."""
    ensure_authenticated(actor)
    if bill.payer_id is not None and bill.payer_id != actor.pk:
        raise PermissionDenied(_("this bill is addressed to someone else"))
    if bill.state != Bill.State.UNPAID:
        raise Conflict(_("this bill is %s") % bill.get_state_display(), code=PaymentsError.NOT_PAYABLE)
    provider = get_provider()
    with transaction.atomic():
        payment = Payment.objects.create(
            bill=bill,
            provider=provider.code,
            token="P" + timezone.now().strftime("%Y%m%d") + secrets.token_hex(8),
            amount_fen=bill.total_fen,
        )
        redirect = provider.create_payment(payment, return_url=return_url)
        audit.record(
            actor=actor,
            action="payments.payment.start",
            target=bill,
            org_unit=bill.org_unit,
            after={"payment": payment.token, "amount_fen": payment.amount_fen},
        )
    return payment, redirect


@dataclass
class Outcome:
    outcome: str
    detail: str = ""
    bill: Bill | None = None


def callback_receive(provider_code: str, headers: Any, body: bytes) -> tuple[int, dict]:
    """Handle one provider callback: verify, record it in the ledger of events, apply it.

    Returns (HTTP status, body). Forged / stale / replayed callbacks get 400 and write nothing
    permanent: anyone can send them, so they are only counted in the cache
    (``core.ratelimit`` scope "payments.callback.rejected") and logged once per threshold, never one ledger row or audit event
    each. Duplicates are acknowledged (200) without counting anything again. A signed notice
    that cannot be applied (mismatch, unknown order) is kept in the event ledger with its
    outcome, and none of its effects persist."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        provider = get_provider(provider_code)
    except KeyError:
        raise NotFound(_("no such payment provider")) from None
    try:
        event = provider.verify_callback(headers, body)
    except CallbackRejected as exc:
        _count_rejected(provider_code, str(exc))
        return 400, {"code": "FAIL", "message": str(exc)}
    replay = False
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    provider=provider_code,
                    kind=event.kind,
                    event_id=event.event_id[:64],
                    nonce=event.nonce[:64],
                    provider_txn_id=event.provider_txn_id[:64],
                    signature_ok=True,
                    outcome=ProviderEvent.Outcome.APPLIED,  # set below, in the same transaction
                    body_sha256=digest,
                )
        except IntegrityError:
            replay = True
        else:
            result = _apply(provider_code, event)
            ProviderEvent.objects.filter(pk=record.pk).update(
                outcome=result.outcome, detail=result.detail[:300]
            )
    if replay:
        _count_rejected(provider_code, "replayed nonce")
        return 400, {"code": "FAIL", "message": "replayed nonce"}
    return 200, {"code": "SUCCESS", "outcome": result.outcome}


# Rejected callbacks are counted per provider in hourly windows; a warning is logged for the
# first of a window and then every this many.
REJECTED_LOG_EVERY = 100


def _count_rejected(provider_code: str, reason: str) -> None:
    count = ratelimit.incr("payments.callback.rejected", provider_code, window_seconds=3600)
    if count == 1 or count % REJECTED_LOG_EVERY == 0:
        logger.warning(
            "payment callbacks from %s rejected: %d this hour (latest: %s)", provider_code, count, reason
        )


class _NotApplied(Exception):
    """Raised inside ``_apply``'s savepoint to roll back every write of a notice that ends
    without being applied; carries the outcome."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.detail)
        self.outcome = outcome


def _apply(provider_code: str, event: CallbackEvent) -> Outcome:
    """Apply a verified notice. All or nothing: a notice whose outcome is not "applied" or
    "duplicate" (a mismatch, an unknown order) leaves nothing behind (e.g. no refund row and
    no payment confirmed by a refund notice that is then refused)."""
    try:
        with transaction.atomic():
            outcome = _apply_notice(provider_code, event)
            if outcome.outcome not in (ProviderEvent.Outcome.APPLIED, ProviderEvent.Outcome.DUPLICATE):
                raise _NotApplied(outcome)
    except _NotApplied as exc:
        return exc.outcome
    return outcome


def _apply_notice(provider_code: str, event: CallbackEvent) -> Outcome:
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update().filter(token=event.token, provider=provider_code).first()
        )
        if payment is None:
            return Outcome(ProviderEvent.Outcome.UNKNOWN, f"unknown order {event.token}")
        if event.kind == "paid":
            return _confirm_paid(payment, event)
        # A refund can overtake the payment's own notification: the refund proves the payment.
        if payment.state == Payment.State.CREATED:
            paid = _confirm_paid(payment, event)
            if paid.outcome != ProviderEvent.Outcome.APPLIED:
                return paid
            payment.refresh_from_db()
        return _confirm_refund(payment, event)


def _confirm_paid(payment: Payment, event: CallbackEvent) -> Outcome:
    if payment.amount_fen != event.amount_fen:
        return Outcome(
            ProviderEvent.Outcome.MISMATCH,
            f"amount {event.amount_fen} fen reported, {payment.amount_fen} fen expected",
        )
    if payment.state != Payment.State.CREATED:
        if payment.provider_txn_id == event.provider_txn_id:
            return Outcome(ProviderEvent.Outcome.DUPLICATE, "payment already confirmed")
        return Outcome(ProviderEvent.Outcome.MISMATCH, "a different transaction for a confirmed payment")
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = Payment.objects.filter(pk=payment.pk, state=Payment.State.CREATED).update(
                state=Payment.State.PAID, provider_txn_id=event.provider_txn_id, paid_at=now
            )
    except IntegrityError:
        return Outcome(ProviderEvent.Outcome.MISMATCH, "transaction id already used by another payment")
    if updated != 1:
        return Outcome(ProviderEvent.Outcome.DUPLICATE, "payment already confirmed")
    payment.state, payment.provider_txn_id, payment.paid_at = Payment.State.PAID, event.provider_txn_id, now
    bill = Bill.objects.select_for_update().get(pk=payment.bill_id)
    audit.record(
        actor=None,
        action="payments.payment.confirm",
        target=bill,
        org_unit=bill.org_unit,
        after={"payment": payment.token, "txn": event.provider_txn_id, "amount_fen": payment.amount_fen},
    )
    if bill.state == Bill.State.UNPAID:
        Bill.objects.filter(pk=bill.pk, state=Bill.State.UNPAID).update(
            state=Bill.State.PAID, paid_fen=F("paid_fen") + payment.amount_fen, paid_at=now
        )
        bill.refresh_from_db()
        audit.record(
            actor=None,
            action="payments.bill.paid",
            target=bill,
            org_unit=bill.org_unit,
            before={"state": "unpaid"},
            after={"state": "paid", "paid_fen": bill.paid_fen},
        )
        hooks.run_paid(bill)
        _tell_payer(
            bill,
            "payments.paid",
            _("Payment received: %(number)s, ¥%(amount)s")
            % {"number": bill.number, "amount": yuan(payment.amount_fen)},
        )
        return Outcome(ProviderEvent.Outcome.APPLIED, "", bill)
    # Paid twice (two payment attempts), or after cancellation: the money is in the ledger and
    # shows as refundable surplus; the bill's state does not change and no hook fires again.
    Bill.objects.filter(pk=bill.pk).update(paid_fen=F("paid_fen") + payment.amount_fen)
    return Outcome(ProviderEvent.Outcome.APPLIED, f"surplus payment on a {bill.state} bill: refund it", bill)


def _confirm_refund(payment: Payment, event: CallbackEvent) -> Outcome:
    amount = event.refund_amount_fen
    if amount <= 0 or not event.refund_no:
        return Outcome(ProviderEvent.Outcome.MISMATCH, "refund without number or amount")
    refund = Refund.objects.select_for_update().filter(refund_no=event.refund_no).first()
    if refund is None:
        # Validate before writing: a new refund must fit in what the payment has left.
        if payment.refunded_fen + amount > payment.amount_fen:
            return Outcome(ProviderEvent.Outcome.MISMATCH, "refund exceeds the payment")
        # A refund made at the provider (e.g. its console): the ledger follows the money.
        refund = Refund.objects.create(
            payment=payment,
            refund_no=event.refund_no[:40],
            amount_fen=amount,
            reason=_("refunded at the provider")[:200],
        )
    if refund.payment_id != payment.pk or refund.amount_fen != amount:
        return Outcome(ProviderEvent.Outcome.MISMATCH, "refund does not match the request")
    if payment.refunded_fen + amount > payment.amount_fen and refund.state != Refund.State.SUCCEEDED:
        return Outcome(ProviderEvent.Outcome.MISMATCH, "refund exceeds the payment")
    now = timezone.now()
    updated = Refund.objects.filter(pk=refund.pk, state=Refund.State.REQUESTED).update(
        state=Refund.State.SUCCEEDED,
        provider_refund_id=event.provider_refund_id[:64] or None,
        completed_at=now,
    )
    if updated != 1:
        return Outcome(ProviderEvent.Outcome.DUPLICATE, "refund already confirmed")
    refunded = payment.refunded_fen + amount
    Payment.objects.filter(pk=payment.pk).update(
        refunded_fen=refunded,
        state=Payment.State.REFUNDED if refunded >= payment.amount_fen else Payment.State.PARTIALLY_REFUNDED,
    )
    bill = Bill.objects.select_for_update().get(pk=payment.bill_id)
    bill_refunded = bill.refunded_fen + amount
    changes: dict[str, Any] = {"refunded_fen": bill_refunded}
    if bill.state in (Bill.State.PAID, Bill.State.PARTIALLY_REFUNDED):
        changes["state"] = (
            Bill.State.REFUNDED if bill_refunded >= bill.paid_fen else Bill.State.PARTIALLY_REFUNDED
        )
    Bill.objects.filter(pk=bill.pk).update(**changes)
    before = bill.state
    bill.refresh_from_db()
    audit.record(
        actor=None,
        action="payments.refund.confirm",
        target=bill,
        org_unit=bill.org_unit,
        before={"state": before},
        after={"state": bill.state, "refunded_fen": bill.refunded_fen, "refund": refund.refund_no},
    )
    hooks.run_refunded(bill)
    _tell_payer(
        bill,
        "payments.refunded",
        _("Refund made: %(number)s, ¥%(amount)s") % {"number": bill.number, "amount": yuan(amount)},
    )
    return Outcome(ProviderEvent.Outcome.APPLIED, "", bill)


def _tell_payer(bill: Bill, event: str, title: str) -> None:
    if bill.payer_id is None:
        return
    notify(recipient=bill.payer, event=event, title=title, link=bill.pay_url, channels=("inbox", "sms"))


# -- refunds -----------------------------------------------------------------------------------


def refund_create(*, actor: Any, bill: Bill, amount_fen: int, reason: str) -> Refund:
    """Refund (part of) a paid bill (payments.refund at its org unit); the provider confirms
    by callback, and only then does the ledger count it."""
    ensure_can(actor, "payments.refund", bill.org_unit, bill.department)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError.for_field("amount_fen", _("must be a positive integer number of fen"))
    if not (reason or "").strip():
        raise ValidationError.for_field("reason", _("a reason is required"))
    with transaction.atomic():
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        payment = (
            bill.payments.filter(state__in=[Payment.State.PAID, Payment.State.PARTIALLY_REFUNDED])
            .order_by("paid_at", "id")
            .first()
        )
        if payment is None:
            raise Conflict(_("this bill has no payment to refund"), code=PaymentsError.NOT_REFUNDABLE)
        pending = sum(
            r.amount_fen for r in Refund.objects.filter(payment__bill=bill, state=Refund.State.REQUESTED)
        )
        available = (
            min(payment.amount_fen - payment.refunded_fen, bill.paid_fen - bill.refunded_fen) - pending
        )
        if amount_fen > available:
            raise ValidationError.for_field(
                "amount_fen", _("at most ¥%s can be refunded") % yuan(max(available, 0))
            )
        refund = Refund.objects.create(
            payment=payment,
            refund_no="F" + timezone.now().strftime("%Y%m%d") + secrets.token_hex(8),
            amount_fen=amount_fen,
            reason=reason.strip()[:200],
            created_by=actor,
        )
        try:
            get_provider(payment.provider).refund(payment, refund)
        except ValueError as exc:
            raise Conflict(str(exc), code=PaymentsError.PROVIDER_REFUSED) from None
        audit.record(
            actor=actor,
            action="payments.refund.request",
            target=bill,
            org_unit=bill.org_unit,
            after={"refund": refund.refund_no, "amount_fen": amount_fen},
            note=reason,
        )
    return refund
