"""Notifications: the in-app inbox plus outward channels (email, SMS) after commit.

``notify()`` is the one entry point other modules call. The inbox row is written in the caller's
transaction; each outward delivery is a ``Delivery`` row (the per-channel record: status, masked
address, provider id) plus a transactional outbox message (topic ``notify.delivery``) written in the
same transaction. The outbox sends it after the commit and retries failures with exponential backoff
(NOTIFY_RETRY_BASE_SECONDS, up to NOTIFY_MAX_ATTEMPTS); no scheduling lives here.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core import outbox, prepared
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.masking import mask_phone
from zhengtong.notify.adapters import ADAPTERS, NoAddress
from zhengtong.notify.models import Delivery, Message
from zhengtong.notify.sms import SmsRateLimited, get_backend

logger = logging.getLogger(__name__)

CHANNELS = ("inbox", "email", "sms")
DELIVERY_TOPIC = "notify.delivery"
# An SMS gateway's hourly limit: no use trying again sooner.
RATE_LIMIT_DELAY = dt.timedelta(minutes=10)


def notify(
    *,
    recipient: Any,
    event: str,
    title: str,
    body: str = "",
    link: str = "",
    channels: tuple[str, ...] = ("inbox",),
) -> None:
    """Write an inbox message for ``recipient`` and send it on the other ``channels`` after commit.

    ``recipient`` None (e.g. an anonymous requester) does nothing. Unknown channels are a
    programming error (ValueError)."""
    notify_many(recipients=[recipient], event=event, title=title, body=body, link=link, channels=channels)


def notify_many(
    *,
    recipients: Iterable[Any],
    event: str,
    title: str,
    body: str = "",
    link: str = "",
    channels: tuple[str, ...] | Callable[[Any], tuple[str, ...]] = ("inbox",),
    read: bool = False,
) -> int:
    """``notify`` for many recipients at once, set-based: one INSERT of the inbox messages and one
    of the deliveries, whatever the number (a group's fan-out, run after the sender's commit by
    the caller's background task). ``channels`` is a tuple for everyone or a function of the
    recipient (e.g. push only for those who subscribed a device). ``read=True`` stores the inbox
    messages as already read: the record behind an outward delivery (a push about a chat message)
    that needs no place among the inbox's unread. Returns how many recipients were told. One
    recipient on PostgreSQL (``notify``): the message, its deliveries and their outbox messages
    in one statement, or with the rows of an open ``core.prepared.together()`` block."""
    if not callable(channels):
        _check_channels(channels)
    pick = channels if callable(channels) else (lambda _recipient: channels)
    rows: list[tuple[Message, tuple[str, ...]]] = []
    now = timezone.now() if read else None
    for recipient in recipients:
        if recipient is None or getattr(recipient, "pk", None) is None:
            continue
        chosen = tuple(dict.fromkeys(pick(recipient)))
        _check_channels(chosen)
        message = Message(
            recipient=recipient,
            event=event[:64],
            title=str(title)[:200],
            body=str(body),
            link=link[:500],
            read_at=now,
        )
        rows.append((message, chosen))
    if not rows:
        return 0
    connection = connections[router.db_for_write(Message)]
    if len(rows) == 1 and connection.vendor == "postgresql":
        _write_one(connection, *rows[0])
        return 1
    # No savepoint: the messages belong to the caller's change; if they cannot be written, neither is the change.
    with transaction.atomic(savepoint=False):
        Message.objects.bulk_create([m for m, _c in rows], batch_size=1000)
        deliveries = []
        for message, chosen in rows:
            for channel in chosen:
                if channel == "inbox":
                    continue
                adapter = ADAPTERS[channel]
                address = adapter.address(message.recipient)
                deliveries.append(
                    Delivery(
                        message=message,
                        channel=channel,
                        address_masked=adapter.masked(address) if address else "",
                    )
                )
        Delivery.objects.bulk_create(deliveries, batch_size=1000)
        outbox.enqueue_many(
            topic=DELIVERY_TOPIC, items=[(str(d.pk), {"delivery_id": d.pk}) for d in deliveries]
        )
    return len(rows)


def _write_one(connection: Any, message: Message, channels: tuple[str, ...]) -> None:
    """One message, its outward deliveries and their outbox messages in one statement (CTEs), in
    the caller's transaction, or with the other rows of an open ``core.prepared.together()``
    block when it ends: the rows ``notify_many`` writes in three."""
    message_sql, params = prepared.insert_sql(message, connection)
    ctes = [f"zt_message AS ({message_sql} RETURNING id)"]
    selects = ["(SELECT id FROM zt_message)"]
    deliveries = []
    for channel in channels:
        if channel == "inbox":
            continue
        adapter = ADAPTERS[channel]
        address = adapter.address(message.recipient)
        deliveries.append(
            Delivery(channel=channel, address_masked=adapter.masked(address) if address else "")
        )
    handed = then = None
    if deliveries:
        delivery_sql, delivery_params = prepared.insert_rows_sql(
            deliveries, connection, {"message_id": "(SELECT id FROM zt_message)"}
        )
        outbox_sql, outbox_params, fresh, handed, then = outbox.enqueue_statement(
            topic=DELIVERY_TOPIC,
            source="zt_delivery",
            key_sql="id::text",
            payload_sql="jsonb_build_object('delivery_id', id)",
        )
        ctes += [f"zt_delivery AS ({delivery_sql} RETURNING id)", outbox_sql]
        params += [*delivery_params, *outbox_params]
        selects.append(fresh)

    def written(message_id: int, fresh_ids: list[int] | None = None) -> None:
        prepared.saved(message, message_id, connection)
        if handed is not None:
            handed(fresh_ids)

    prepared.write(connection, ", ".join(ctes), params, selects, written, then)


def _check_channels(channels: tuple[str, ...]) -> None:
    unknown = [c for c in channels if c not in CHANNELS and c not in ADAPTERS]
    if unknown:
        raise ValueError(f"unknown notification channels {unknown}")


def _delivery_failed(payload: dict, error: str) -> None:
    """The outbox gave up: the per-channel record says so."""
    Delivery.objects.filter(
        pk=payload["delivery_id"], status__in=(Delivery.Status.PENDING, Delivery.Status.RETRYING)
    ).update(status=Delivery.Status.FAILED, last_error=error[:300])


@outbox.handler(
    DELIVERY_TOPIC,
    max_attempts=lambda: settings.NOTIFY_MAX_ATTEMPTS,
    retry_base_seconds=lambda: settings.NOTIFY_RETRY_BASE_SECONDS,
    on_failed=_delivery_failed,
)
def delivery_send(payload: dict) -> None:
    """Send one delivery (the outbox handler of ``notify.delivery``). Re-delivery is harmless: the
    row is locked while sending and a delivery already sent (or failed) is not sent again. A
    recipient without an address fails at once; any other failure is raised for the outbox to retry."""
    failure: Exception | None = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("message__recipient")
            .filter(pk=payload["delivery_id"])
            .first()
        )
        if delivery is None or delivery.status not in (Delivery.Status.PENDING, Delivery.Status.RETRYING):
            return
        adapter = ADAPTERS[delivery.channel]
        delivery.attempts += 1
        try:
            delivery.provider_id = adapter.send(delivery.message.recipient, delivery.message)[:100]
        except NoAddress as exc:
            delivery.status = Delivery.Status.FAILED
            delivery.last_error = str(exc)[:300]
            failure = outbox.PermanentFailure(str(exc))
        except SmsRateLimited as exc:
            delivery.status = Delivery.Status.RETRYING
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
            failure = outbox.RetryLater(str(exc), delay=RATE_LIMIT_DELAY)
        except Exception as exc:  # noqa: BLE001 - any gateway failure is retried by the outbox
            delivery.status = Delivery.Status.RETRYING
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
            failure = exc
        else:
            delivery.status = Delivery.Status.SENT
            delivery.last_error = ""
        delivery.save()
    if failure is not None:
        raise failure


def sms_receipts_collect() -> int:
    """Apply the SMS gateway's delivery receipts (sent → delivered / failed)."""
    count = 0
    for provider_id, status in get_backend().poll_receipts():
        target = Delivery.Status.DELIVERED if status == "delivered" else Delivery.Status.FAILED
        count += Delivery.objects.filter(
            channel="sms", provider_id=provider_id, status=Delivery.Status.SENT
        ).update(
            status=target,
            last_error="" if status == "delivered" else _("the gateway reported it undelivered"),
        )
    return count


# -- the inbox ---------------------------------------------------------------------------------


def message_mark_read(*, actor: Any, message_id: int) -> Message:
    """Mark one of the actor's own messages read (someone else's message: NotFound)."""
    message = Message.objects.filter(pk=message_id, recipient_id=getattr(actor, "pk", None)).first()
    if message is None:
        raise NotFound(_("no such message"))
    if message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


def messages_mark_all_read(*, actor: Any) -> int:
    return Message.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())


def clean_message_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ValidationError.for_field("ids", _("must be a list of message ids"))
    return ids


SMS_NUMBER_TOPIC = "notify.sms_number"


@dataclass(frozen=True)
class _Addressee:
    phone: str


@dataclass(frozen=True)
class _Text:
    pk: int
    title: str
    body: str
    link: str = ""


def sms_to_number(*, number: str, event: str, title: str, body: str = "") -> None:
    """Send an SMS to a person known only by a mobile number (a 12345 caller without an account),
    after the caller's commit, through the same SMS adapter as ``notify`` and the outbox's retries.
    There is no inbox; the number is stored in the outbox message only until it is sent."""
    number = (number or "").strip()
    if not number:
        return
    outbox.enqueue(
        topic=SMS_NUMBER_TOPIC,
        key=f"{event[:40]}:{mask_phone(number)}:{secrets.token_hex(8)}",
        payload={"number": number, "event": event[:64], "title": str(title)[:200], "body": str(body)[:300]},
    )


@outbox.handler(
    SMS_NUMBER_TOPIC,
    max_attempts=lambda: settings.NOTIFY_MAX_ATTEMPTS,
    retry_base_seconds=lambda: settings.NOTIFY_RETRY_BASE_SECONDS,
)
def sms_number_send(payload: dict) -> None:
    """The outbox handler of ``notify.sms_number``: the SMS adapter sends it (rate limits retried)."""
    try:
        ADAPTERS["sms"].send(
            _Addressee(payload["number"]), _Text(0, payload.get("title", ""), payload.get("body", ""))
        )
    except NoAddress as exc:
        raise outbox.PermanentFailure(str(exc)) from exc
    except SmsRateLimited as exc:
        raise outbox.RetryLater(str(exc), delay=RATE_LIMIT_DELAY) from exc
