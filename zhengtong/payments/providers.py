"""Payment providers behind one interface, and the built-in local provider.

``PaymentProvider``:
- ``create_payment(payment, *, return_url) -> str``: where to send the payer (the hosted page);
- ``verify_callback(headers, body) -> CallbackEvent``: check signature, timestamp window and
  shape; raise ``CallbackRejected`` for anything not provably from the provider;
- ``refund(payment, refund) -> None``: ask for a refund; the result comes back as a callback.

``LocalProvider`` behaves like a real provider: it keeps its own books (LocalOrder, LocalRefund),
shows a hosted payment page, and delivers signed asynchronous notifications (LocalNotice)
through the task worker with retries and backoff until the merchant acknowledges them; with
PAYMENTS_LOCAL_DUPLICATES each notification is sent twice. It can write a daily statement file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

logger = logging.getLogger(__name__)

HEADER_TIMESTAMP = "X-ZT-Timestamp"
HEADER_NONCE = "X-ZT-Nonce"
HEADER_SIGNATURE = "X-ZT-Signature"


class CallbackRejected(Exception):
    """A callback that is not provably from the provider (bad signature, stale, malformed)."""


@dataclass
class CallbackEvent:
    kind: str  # "paid" | "refunded"
    event_id: str
    nonce: str
    token: str  # our order number
    provider_txn_id: str
    amount_fen: int  # of the payment
    refund_no: str = ""
    provider_refund_id: str = ""
    refund_amount_fen: int = 0
    at: str = ""


class PaymentProvider:
    code = ""

    def create_payment(self, payment, *, return_url: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def verify_callback(self, headers, body: bytes) -> CallbackEvent:  # pragma: no cover - interface
        raise NotImplementedError

    def refund(self, payment, refund) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def statement(self, day: dt.date) -> str:  # pragma: no cover - interface
        """The provider's statement of ``day`` as CSV text (type,provider_id,order,amount_fen,at)."""
        raise NotImplementedError


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, *, secret: str | None = None, timestamp: int | None = None, nonce: str | None = None
) -> dict:
    ts = str(int(timezone.now().timestamp()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(secret or settings.PAYMENTS_LOCAL_SECRET, ts, nonce, body),
    }


def _header(headers, name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get("HTTP_" + name.upper().replace("-", "_"))
    return (value or "").strip()


class LocalProvider(PaymentProvider):
    code = "local"

    # -- merchant-facing interface ---------------------------------------------------------

    def create_payment(self, payment, *, return_url: str) -> str:
        from zhengtong.payments.models import LocalOrder

        LocalOrder.objects.get_or_create(
            token=payment.token,
            defaults={"amount_fen": payment.amount_fen, "description": payment.bill.description[:200]},
        )
        return reverse("payments:provider_page", args=[payment.token]) + "?" + _query({"return": return_url})

    def verify_callback(self, headers, body: bytes) -> CallbackEvent:
        ts, nonce, signature = (
            _header(headers, h) for h in (HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)
        )
        if not (ts and nonce and signature):
            raise CallbackRejected("missing signature headers")
        expected = sign(settings.PAYMENTS_LOCAL_SECRET, ts, nonce, body)
        if not hmac.compare_digest(expected, signature):
            raise CallbackRejected("bad signature")
        try:
            sent = int(ts)
        except ValueError:
            raise CallbackRejected("bad timestamp") from None
        if abs(timezone.now().timestamp() - sent) > settings.PAYMENTS_CALLBACK_WINDOW_SECONDS:
            raise CallbackRejected("timestamp outside the accepted window")
        try:
            data = json.loads(body)
            event = CallbackEvent(
                kind=str(data["type"]),
                event_id=str(data["id"]),
                nonce=nonce,
                token=str(data["out_trade_no"]),
                provider_txn_id=str(data["transaction_id"]),
                amount_fen=int(data["amount_fen"]),
                refund_no=str(data.get("refund_no", "")),
                provider_refund_id=str(data.get("refund_id", "")),
                refund_amount_fen=int(data.get("refund_amount_fen", 0)),
                at=str(data.get("at", "")),
            )
        except (ValueError, KeyError, TypeError):
            raise CallbackRejected("malformed body") from None
        if event.kind not in ("paid", "refunded"):
            raise CallbackRejected("unknown event type")
        return event

    def refund(self, payment, refund) -> None:
        from zhengtong.payments.models import LocalOrder, LocalRefund

        with transaction.atomic():
            order = LocalOrder.objects.select_for_update().get(token=payment.token)
            done = sum(r.amount_fen for r in order.refunds.all())
            if order.status != "paid" or done + refund.amount_fen > order.amount_fen:
                raise ValueError("the provider refused the refund")
            local = LocalRefund.objects.create(
                order=order,
                refund_no=refund.refund_no,
                refund_id="R" + secrets.token_hex(10),
                amount_fen=refund.amount_fen,
                refunded_at=timezone.now(),
            )
            self._notify(
                {
                    "type": "refunded",
                    "out_trade_no": order.token,
                    "transaction_id": order.txn_id,
                    "amount_fen": order.amount_fen,
                    "refund_no": local.refund_no,
                    "refund_id": local.refund_id,
                    "refund_amount_fen": local.amount_fen,
                    "at": local.refunded_at.isoformat(),
                }
            )

    def statement(self, day: dt.date) -> str:
        from zhengtong.payments.models import LocalOrder, LocalRefund

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["type", "provider_id", "order", "amount_fen", "at"])
        for o in LocalOrder.objects.filter(status="paid", paid_at__date=day).order_by("id"):
            writer.writerow(["payment", o.txn_id, o.token, o.amount_fen, o.paid_at.isoformat()])
        for r in LocalRefund.objects.filter(refunded_at__date=day).select_related("order").order_by("id"):
            writer.writerow(["refund", r.refund_id, r.refund_no, r.amount_fen, r.refunded_at.isoformat()])
        return out.getvalue()

    # -- the provider's side: the payer confirms on the hosted page ------------------------

    def payer_confirm(self, token: str) -> bool:
        """The payer pays on the hosted page. Returns False when already paid (idempotent)."""
        from zhengtong.payments.models import LocalOrder

        with transaction.atomic():
            order = LocalOrder.objects.select_for_update().filter(token=token).first()
            if order is None:
                raise LookupError(token)
            if order.status == "paid":
                return False
            order.status = "paid"
            order.txn_id = "T" + secrets.token_hex(12)
            order.paid_at = timezone.now()
            order.save()
            self._notify(
                {
                    "type": "paid",
                    "out_trade_no": order.token,
                    "transaction_id": order.txn_id,
                    "amount_fen": order.amount_fen,
                    "at": order.paid_at.isoformat(),
                }
            )
        return True

    def _notify(self, payload: dict) -> None:
        from zhengtong.payments.models import LocalNotice

        payload = {"id": "E" + secrets.token_hex(10), **payload}
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        copies = 2 if settings.PAYMENTS_LOCAL_DUPLICATES else 1
        ids = [LocalNotice.objects.create(event_id=payload["id"], body=body).pk for _ in range(copies)]
        transaction.on_commit(lambda: _enqueue_notices(ids))


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _enqueue_notices(ids: list[int]) -> None:
    from zhengtong.payments.tasks import notice_deliver_task

    for pk in ids:
        try:
            notice_deliver_task.enqueue(pk)
        except Exception:  # noqa: BLE001 - the periodic retry picks it up
            logger.exception("could not enqueue provider notice %s", pk)


def notice_deliver(notice_id: int) -> str:
    """The local provider delivers one notification (signed afresh each attempt); on failure
    the next attempt is scheduled with exponential backoff, until PAYMENTS_CALLBACK_MAX_ATTEMPTS."""
    from zhengtong.payments.models import LocalNotice

    with transaction.atomic():
        notice = LocalNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.acked_at or notice.gave_up_at:
            return "done"
        notice.attempts += 1
        notice.save(update_fields=["attempts"])
    body = notice.body.encode()
    headers = signed_headers(body)
    try:
        status, text = _post(body, headers)
        acked = status == 200 and '"SUCCESS"' in text
    except Exception as exc:  # noqa: BLE001 - network errors are retried
        status, acked = 0, False
        text = str(exc)
    now = timezone.now()
    notice.last_status = f"{status}"[:40]
    if acked:
        notice.acked_at = now
        notice.next_attempt_at = None
    elif notice.attempts >= settings.PAYMENTS_CALLBACK_MAX_ATTEMPTS:
        notice.gave_up_at = now
        notice.next_attempt_at = None
    else:
        delay = settings.PAYMENTS_CALLBACK_RETRY_BASE_SECONDS * 2 ** (notice.attempts - 1)
        notice.next_attempt_at = now + dt.timedelta(seconds=delay)
    LocalNotice.objects.filter(pk=notice.pk).update(
        last_status=notice.last_status,
        acked_at=notice.acked_at,
        gave_up_at=notice.gave_up_at,
        next_attempt_at=notice.next_attempt_at,
    )
    return "acked" if acked else "retry"


def notices_retry_due(*, now: dt.datetime | None = None) -> int:
    from zhengtong.payments.models import LocalNotice

    now = now or timezone.now()
    due = list(
        LocalNotice.objects.filter(
            acked_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    stale = now - dt.timedelta(minutes=2)
    due += list(
        LocalNotice.objects.filter(
            acked_at__isnull=True, gave_up_at__isnull=True, attempts=0, created_at__lte=stale
        ).values_list("pk", flat=True)[:500]
    )
    for pk in due:
        notice_deliver(pk)
    return len(due)


def _post(body: bytes, headers: dict) -> tuple[int, str]:
    url = settings.PAYMENTS_LOCAL_CALLBACK_URL
    if url:
        import urllib.error
        import urllib.request

        if not url.startswith(("http://", "https://")):
            raise ValueError("PAYMENTS_LOCAL_CALLBACK_URL must be an http(s) URL")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, ""
    # In-process: the same handler the HTTP endpoint calls.
    from zhengtong.payments.services import callback_receive

    status, payload = callback_receive("local", headers, body)
    return status, json.dumps(payload)


PROVIDERS: dict[str, PaymentProvider] = {"local": LocalProvider()}


def get_provider(code: str | None = None) -> PaymentProvider:
    return PROVIDERS[code or settings.PAYMENTS_PROVIDER]
