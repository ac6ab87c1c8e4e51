"""Retention and export of conversations by policy: informal conversations (one-to-one, groups)
are purged after ``WORKSPACE_MESSAGE_RETENTION_DAYS``; official ones (cases, incidents, tasks,
departments) are kept. A member exports a conversation as JSON, on the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.core.errors import NotFound
from zhengtong.workspace.models import Conversation, Member, Message
from zhengtong.workspace.services.common import VIA

INFORMAL = (Conversation.Kind.DIRECT, Conversation.Kind.GROUP)


@transaction.atomic
def messages_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete the messages of informal conversations past the retention period (none when it is
    0); one audit event says how many. Returns the number deleted."""
    days = settings.WORKSPACE_MESSAGE_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    expired = Message.objects.filter(conversation__kind__in=INFORMAL, created_at__lt=cutoff)
    files = [m.attachment for m in expired.exclude(attachment="").only("attachment")]
    count, _rows = expired.delete()
    for field in files:
        transaction.on_commit(lambda f=field: f.storage.delete(f.name))
    if count:
        audit.record(
            actor=None,
            action="workspace.message.purge",
            target_type="workspace.message",
            target_id=f"{count} messages",
            target_label="",
            after={"deleted": count, "before": cutoff, "retention_days": days},
            via=VIA,
        )
    return count


@transaction.atomic
def conversation_export(*, actor: Any, conversation: Conversation) -> dict[str, Any]:
    """The conversation's messages the actor may read (since they joined), as a JSON-ready
    dict; members only; recorded on the audit trail."""
    member = Member.objects.filter(conversation=conversation, user=actor).first()
    if member is None:
        raise NotFound(_("no such conversation"))
    rows = (
        Message.objects.filter(conversation=conversation, seq__gt=member.joined_seq)
        .select_related("sender")
        .order_by("seq")
    )
    data = {
        "conversation": {"id": conversation.pk, "kind": conversation.kind, "title": conversation.title},
        "exported_at": timezone.now().isoformat(),
        "messages": [
            {
                "seq": m.seq,
                "sender": str(m.sender),
                "sent_at": m.created_at.isoformat(),
                "body": m.body,
                "urgent": m.urgent,
                "attachment": m.attachment_name,
            }
            for m in rows
        ],
    }
    audit.record(
        actor=actor,
        action="workspace.conversation.export",
        target=conversation,
        after={"messages": len(data["messages"])},
    )
    return data
