"""Telling members about new messages, after the sender's commit and in bulk.

Sending a message is three statements whatever the group's size (``conversations._post``): the
members' unread counts follow from their read positions at once. Everything that is per member
happens here, in the worker's delivery loop (``core.tasks.register_loop``, every
``WORKSPACE_DELIVERY_INTERVAL_SECONDS``), over every message not yet delivered:

- **Ordinary messages**: per conversation in the batch, one UPDATE moves ``notified_seq`` of the
  members who subscribed a device for Web Push and had nothing told still unread
  (``notified_seq <= last_read_seq < newest``): one push per unread streak, however many
  messages arrive before the member reads. The pushes go through ``notify_many`` (channel
  ``push``; the inbox rows stay read: the chat has its own unread count).
- **Urgent notices (DING)**: every recipient who has not read it yet gets it in the inbox, and
  by push on the devices they subscribed, through one ``notify_many``.

The batch is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and marked delivered in the same
transaction as the notifications it wrote, so several workers share the work and a message is
told once (the outbox then sends the pushes with its retries)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.notify.services import notify_many
from zhengtong.workspace.models import Conversation, Member, Message, PushSubscription, UrgentReceipt

BATCH = 2000


def messages_deliver(*, limit: int = BATCH) -> int:
    """Tell the members of every conversation about the messages not yet delivered (at most
    ``limit``); returns how many messages were delivered (0: nothing to do)."""
    with transaction.atomic():
        batch = list(
            Message.objects.filter(delivered_at__isnull=True)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values("id", "conversation_id", "seq", "urgent", "body")[:limit]
        )
        if not batch:
            return 0
        titles = dict(
            Conversation.objects.filter(pk__in={m["conversation_id"] for m in batch}).values_list(
                "pk", "title"
            )
        )
        newest: dict[int, dict[str, Any]] = {}
        for row in batch:
            if not row["urgent"]:
                known = newest.get(row["conversation_id"])
                if known is None or row["seq"] > known["seq"]:
                    newest[row["conversation_id"]] = row
        for conversation_id, row in newest.items():
            _push_streaks(conversation_id, row, titles.get(conversation_id, ""))
        for row in batch:
            if row["urgent"]:
                _tell_urgent(row, titles.get(row["conversation_id"], ""))
        Message.objects.filter(pk__in=[m["id"] for m in batch]).update(delivered_at=timezone.now())
    return len(batch)


def deliver_loop() -> int:
    """The worker's loop (``workspace.delivery``): deliver until nothing is left."""
    total = 0
    while True:
        done = messages_deliver()
        total += done
        if done < BATCH:
            return total


def _subscribed(field: str = "user_id") -> Exists:
    return Exists(PushSubscription.objects.filter(user_id=OuterRef(field)))


def _push_streaks(conversation_id: int, row: dict[str, Any], title: str) -> None:
    """Push the newest message to the subscribed members for whom it starts an unread streak."""
    seq = row["seq"]
    to_tell = Member.objects.filter(
        _subscribed(),
        conversation_id=conversation_id,
        last_read_seq__lt=seq,
        notified_seq__lte=F("last_read_seq"),
    )
    user_ids = list(to_tell.values_list("user_id", flat=True))
    if not user_ids:
        return
    notify_many(
        recipients=account_selectors.users_by_ids(user_ids),
        event="workspace.message",
        title=title,
        body=row["body"][:300],
        link=reverse("workspace:conversation", args=[conversation_id]),
        channels=("push",),
        read=True,
    )
    # Last, so that the members' rows (which their own reads lock) are held only to the commit.
    Member.objects.filter(conversation_id=conversation_id, user_id__in=user_ids).update(notified_seq=seq)


def _tell_urgent(row: dict[str, Any], title: str) -> None:
    """Every recipient who has not read the urgent notice yet: the inbox, and push on the devices
    they subscribed."""
    pending = UrgentReceipt.objects.filter(message_id=row["id"], read_at__isnull=True)
    recipients = {
        user_id: subscribed
        for user_id, subscribed in pending.annotate(subscribed=_subscribed()).values_list(
            "user_id", "subscribed"
        )
    }
    if not recipients:
        return
    notify_many(
        recipients=account_selectors.users_by_ids(list(recipients)),
        event="workspace.urgent",
        title=_("Urgent: %s") % title,
        body=row["body"][:500],
        link=reverse("workspace:conversation", args=[row["conversation_id"]]),
        channels=lambda user: ("inbox", "push") if recipients.get(user.pk) else ("inbox",),
    )
    Member.objects.filter(
        conversation_id=row["conversation_id"],
        user_id__in=[pk for pk, subscribed in recipients.items() if subscribed],
        notified_seq__lt=row["seq"],
    ).update(notified_seq=row["seq"])
