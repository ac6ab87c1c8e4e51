"""Notifications: the in-app inbox plus outward channels (email, SMS) after commit.

``notify()`` is the one entry point other modules call. The inbox row is written in the caller's
transaction; outward deliveries are recorded there too (so nothing is lost if the process dies)
and handed to the task worker only after the transaction commits. A failed attempt is retried
by the periodic ``deliveries_retry_due`` with exponential backoff, up to NOTIFY_MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.notify.adapters import ADAPTERS, NoAddress
from zhengtong.notify.models import Delivery, Message
from zhengtong.notify.sms import SmsRateLimited

logger = logging.getLogger(__name__)

CHANNELS = ("inbox", "email", "sms")


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
    unknown = [c for c in channels if c not in CHANNELS and c not in ADAPTERS]
    if unknown:
        raise ValueError(f"unknown notification channels {unknown}")
    if recipient is None or getattr(recipient, "pk", None) is None:
        return
    # No savepoint: the message belongs to the caller's change; if it cannot be written, neither is the change.
    with transaction.atomic(savepoint=False):
        message = Message.objects.create(
            recipient=recipient,
            event=event[:64],
            title=str(title)[:200],
            body=str(body),
            link=link[:500],
        )
        deliveries = []
        for channel in dict.fromkeys(channels):
            if channel == "inbox":
                continue
            adapter = ADAPTERS[channel]
            address = adapter.address(recipient)
            deliveries.append(
                Delivery.objects.create(
                    message=message,
                    channel=channel,
                    address_masked=adapter.masked(address) if address else "",
                )
            )
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int]) -> None:
    from zhengtong.notify.tasks import deliver_task

    for pk in ids:
        try:
            deliver_task.enqueue(pk)
        except Exception:  # noqa: BLE001 - the periodic retry picks it up
            logger.exception("could not enqueue delivery %s", pk)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFY_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0)))


def delivery_attempt(delivery_id: int) -> str:
    """Try to send one delivery now; returns its new status. Safe to call twice (a sent
    delivery is not sent again: the row is locked while sending)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("message__recipient")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing"
        if delivery.status not in (Delivery.Status.PENDING, Delivery.Status.RETRYING):
            return delivery.status
        adapter = ADAPTERS[delivery.channel]
        delivery.attempts += 1
        try:
            delivery.provider_id = adapter.send(delivery.message.recipient, delivery.message)[:100]
        except NoAddress as exc:
            delivery.status = Delivery.Status.FAILED
            delivery.last_error = str(exc)[:300]
            delivery.next_attempt_at = None
        except Exception as exc:  # noqa: BLE001 - any gateway failure is retried
            retry = delivery.attempts < settings.NOTIFY_MAX_ATTEMPTS
            delivery.status = Delivery.Status.RETRYING if retry else Delivery.Status.FAILED
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
            delay = _backoff(delivery.attempts)
            if isinstance(exc, SmsRateLimited):
                delay = max(delay, dt.timedelta(minutes=10))
            delivery.next_attempt_at = timezone.now() + delay if retry else None
            logger.warning(
                "delivery %s (%s) attempt %s failed: %s",
                delivery.pk,
                delivery.channel,
                delivery.attempts,
                exc,
            )
        else:
            delivery.status = Delivery.Status.SENT
            delivery.last_error = ""
            delivery.next_attempt_at = None
        delivery.save()
        return delivery.status


def deliveries_retry_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send deliveries whose retry time has come (and pending ones never picked up)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=5)
    due = list(
        Delivery.objects.filter(status=Delivery.Status.RETRYING, next_attempt_at__lte=now).values_list(
            "pk", flat=True
        )[:limit]
    ) + list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, created_at__lte=stale).values_list(
            "pk", flat=True
        )[:limit]
    )
    for pk in due:
        delivery_attempt(pk)
    return len(due)


def sms_receipts_collect() -> int:
    """Apply the SMS gateway's delivery receipts (sent → delivered / failed)."""
    from zhengtong.notify.sms import get_backend

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
