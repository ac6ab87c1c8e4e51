"""Payment providers behind one interface, and the built-in local provider.

``PaymentProvider``:
- ``create_payment(payment, *, return_url) -> str``: where to send the payer (the hosted page);
- ``verify_callback(headers, body) -> CallbackEvent``: check signature, timestamp window and
  shape; raise ``CallbackRejected`` for anything not provably from the provider;
- ``refund(payment, refund) -> None``: ask for a refund; the result comes back as a callback.

``LocalProvider`` behaves like a real provider: it keeps its own books (LocalOrder, LocalRefund),
shows a hosted payment page, and delivers signed asynchronous notifications through the
transactional outbox (topic ``payments.local_notice``): sent after the commit, retried with backoff
until the merchant acknowledges them; with PAYMENTS_LOCAL_DUPLICATES each notification is sent
twice (two messages). It can write a daily statement file.
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

from zhengtong.core import outbox
from zhengtong.payments.models import LocalOrder, LocalRefund

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
        payload = {"id": "E" + secrets.token_hex(10), **payload}
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        copies = 2 if settings.PAYMENTS_LOCAL_DUPLICATES else 1
        for copy in range(1, copies + 1):
            key = payload["id"] if copy == 1 else f"{payload['id']}:{copy}"
            outbox.enqueue(topic=NOTICE_TOPIC, key=key, payload={"event_id": payload["id"], "body": body})


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


NOTICE_TOPIC = "payments.local_notice"


class NotAcknowledged(Exception):
    """The merchant did not answer a notification with SUCCESS."""


@outbox.handler(
    NOTICE_TOPIC,
    max_attempts=lambda: settings.PAYMENTS_CALLBACK_MAX_ATTEMPTS,
    retry_base_seconds=lambda: settings.PAYMENTS_CALLBACK_RETRY_BASE_SECONDS,
)
def notice_deliver(payload: dict) -> None:
    """The local provider delivers one notification, signed afresh each attempt (the outbox handler
    of ``payments.local_notice``). Anything but an acknowledgement raises, so the outbox retries it
    with exponential backoff until PAYMENTS_CALLBACK_MAX_ATTEMPTS. Re-delivery is what real providers
    do too: the merchant's callback handling is idempotent."""
    body = payload["body"].encode()
    status, text = _post(body, signed_headers(body))
    if not (status == 200 and '"SUCCESS"' in text):
        raise NotAcknowledged(f"HTTP {status}")


def notices_deliver_pending() -> int:
    """Deliver every notification not yet acknowledged now, whatever its schedule (demo data, tests)."""
    return outbox.deliver_pending(topic=NOTICE_TOPIC)


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
    # Lazy: a real import cycle (payments.services imports the providers).
    from zhengtong.payments.services import callback_receive

    status, payload = callback_receive("local", headers, body)
    return status, json.dumps(payload)


PROVIDERS: dict[str, PaymentProvider] = {"local": LocalProvider()}


def get_provider(code: str | None = None) -> PaymentProvider:
    return PROVIDERS[code or settings.PAYMENTS_PROVIDER]
