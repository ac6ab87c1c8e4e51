"""Conversations and messages: one-to-one, groups, per department, per case, incident or task;
read receipts per recipient; urgent notices (DING) escalated to SMS when unread; attachments
scanned for personal identifiers before they leave a case's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_authenticated
from zhengtong.audit import services as audit
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.grid import selectors as grid_selectors
from zhengtong.notify.services import notify_many
from zhengtong.privacy.detectors import detect
from zhengtong.services import selectors as case_selectors
from zhengtong.workspace import selectors
from zhengtong.workspace.errors import WorkspaceError
from zhengtong.workspace.models import Conversation, Member, Message, Task, UrgentReceipt
from zhengtong.workspace.services.common import VIA, records_refusals, text

TEXT_TYPES = ("text/", "application/json", "application/csv", "application/xml")


def _ensure_staff(actor: Any) -> None:
    ensure_authenticated(actor)
    if getattr(actor, "org_unit_id", None) is None or not can(actor, "workspace.use"):
        raise PermissionDenied(_("the workspace is for staff"))


def _check_reachable(actor: Any, user_ids: list[int]) -> None:
    """Policy: staff message only people their directory shows (unless the installation allows
    messages outside one's scope)."""
    if settings.WORKSPACE_MESSAGE_OUTSIDE_SCOPE:
        return
    others = [pk for pk in user_ids if pk != actor.pk]
    outside = sorted(set(others) - selectors.visible_user_ids(actor, others))
    if outside:
        raise PermissionDenied(
            _("%(n)d of the people are outside your directory scope; messaging them is not allowed")
            % {"n": len(outside)},
            code=WorkspaceError.OUTSIDE_SCOPE,
            details={"user_id": outside[:20]},
        )


def _add_members(conversation: Conversation, user_ids: list[int]) -> int:
    have = set(Member.objects.filter(conversation=conversation).values_list("user_id", flat=True))
    new = [
        Member(conversation=conversation, user_id=pk, joined_seq=conversation.last_seq)
        for pk in dict.fromkeys(user_ids)
        if pk not in have
    ]
    Member.objects.bulk_create(new, batch_size=1000)
    return len(new)


@records_refusals("conversation_direct")
@transaction.atomic
def conversation_direct(*, actor: Any, other: Any) -> Conversation:
    """The one-to-one conversation of ``actor`` and ``other`` (made on first use)."""
    _ensure_staff(actor)
    if other is None or other.pk == actor.pk:
        raise ValidationError.for_field("user", _("choose someone else"))
    _check_reachable(actor, [other.pk])
    key = f"{min(actor.pk, other.pk)}:{max(actor.pk, other.pk)}"
    conv = Conversation.objects.filter(direct_key=key).first()
    if conv is not None:
        return conv
    conv = Conversation.objects.create(
        kind=Conversation.Kind.DIRECT,
        title=f"{actor} · {other}"[:200],
        org_unit_id=actor.org_unit_id,
        direct_key=key,
        created_by=actor,
    )
    _add_members(conv, [actor.pk, other.pk])
    audit.record(actor=actor, action="workspace.conversation.create", target=conv, org_unit=actor.org_unit)
    return conv


@records_refusals("conversation_group_create")
@transaction.atomic
def conversation_group_create(*, actor: Any, title: str, member_ids: list[int]) -> Conversation:
    """A group of the actor and ``member_ids`` (people their directory shows)."""
    _ensure_staff(actor)
    title = text("title", title, 200)
    ids = [int(pk) for pk in dict.fromkeys(member_ids or []) if str(pk).isdigit()]
    if not ids:
        raise ValidationError.for_field("members", _("choose at least one colleague"))
    if len(ids) + 1 > settings.WORKSPACE_GROUP_MAX_MEMBERS:
        raise ValidationError.for_field(
            "members", _("at most %d members") % settings.WORKSPACE_GROUP_MAX_MEMBERS
        )
    _check_reachable(actor, ids)
    conv = Conversation.objects.create(
        kind=Conversation.Kind.GROUP, title=title, org_unit_id=actor.org_unit_id, created_by=actor
    )
    added = _add_members(conv, [actor.pk, *ids])
    audit.record(
        actor=actor,
        action="workspace.conversation.create",
        target=conv,
        org_unit=actor.org_unit,
        after={"members": added},
    )
    return conv


def _conversation_for_ref(
    *,
    actor: Any,
    kind: str,
    ref: str,
    title: str,
    org_unit: Any,
    department_id: int | None,
    member_ids: list[int],
) -> Conversation:
    conv = Conversation.objects.filter(ref=ref).first()
    if conv is None:
        try:
            with transaction.atomic():
                conv = Conversation.objects.create(
                    kind=kind,
                    title=title[:200],
                    org_unit_id=org_unit.pk,
                    department_id=department_id,
                    ref=ref,
                    created_by=actor,
                )
                audit.record(
                    actor=actor, action="workspace.conversation.create", target=conv, org_unit=org_unit
                )
        except IntegrityError:  # someone made it at the same moment
            conv = Conversation.objects.get(ref=ref)
    _add_members(conv, [actor.pk, *member_ids])
    return conv


@transaction.atomic
def conversation_for_department(*, actor: Any, department: Any) -> Conversation:
    """The department's group: its staff join; the actor must belong to it or supervise it."""
    _ensure_staff(actor)
    if actor.department_id != department.pk and not can(
        actor, "workspace.supervise", department.org_unit, department
    ):
        raise PermissionDenied(_("you are not in this department"))
    return _conversation_for_ref(
        actor=actor,
        kind=Conversation.Kind.DEPARTMENT,
        ref=f"department:{department.pk}",
        title=department.name,
        org_unit=department.org_unit,
        department_id=department.pk,
        member_ids=selectors.department_member_ids(department.pk),
    )


@transaction.atomic
def conversation_for_case(*, actor: Any, case_id: int) -> Conversation:
    """Join (or open) the conversation of a case the actor may see (joined from the case page)."""
    _ensure_staff(actor)
    case = case_selectors.case_for_staff(actor, case_id)
    return _conversation_for_ref(
        actor=actor,
        kind=Conversation.Kind.CASE,
        ref=f"case:{case.pk}",
        title=_("Case %s") % case.number,
        org_unit=case.org_unit,
        department_id=case.department_id,
        member_ids=[],
    )


@transaction.atomic
def conversation_for_incident(*, actor: Any, incident_id: int) -> Conversation:
    """Join (or open) the conversation of an incident the actor may see."""
    _ensure_staff(actor)
    incident = grid_selectors.incident_get_for(actor, incident_id)
    return _conversation_for_ref(
        actor=actor,
        kind=Conversation.Kind.INCIDENT,
        ref=f"incident:{incident.pk}",
        title=_("Incident %s") % incident.pk,
        org_unit=incident.township,
        department_id=incident.handling_department_id,
        member_ids=[],
    )


@transaction.atomic
def conversation_for_task(*, actor: Any, task: Task) -> Conversation:
    """The task's group: the assigner, the assignee (or the unit's or department's staff)."""
    _ensure_staff(actor)
    if not selectors.task_visible(actor, task):
        raise NotFound(_("no such task"))
    members = [task.created_by_id]
    if task.assignee_id:
        members.append(task.assignee_id)
    if task.assignee_department_id:
        members.extend(selectors.department_member_ids(task.assignee_department_id))
    return _conversation_for_ref(
        actor=actor,
        kind=Conversation.Kind.TASK,
        ref=f"task:{task.pk}",
        title=task.title,
        org_unit=task.org_unit,
        department_id=None,
        member_ids=members,
    )


def _identifiers(data: bytes, content_type: str, *texts: str) -> list[str]:
    """Kinds of valid personal identifiers in the texts and in a text attachment."""
    found = []
    for value in texts:
        found.extend(f.kind for f in detect(value or "") if f.valid)
    if data and (content_type or "").startswith(TEXT_TYPES):
        found.extend(f.kind for f in detect(data.decode("utf-8", errors="replace")) if f.valid)
    return sorted(set(found))


def _read_upload(upload: Any) -> tuple[bytes, str, str]:
    if upload is None:
        return b"", "", ""
    size = getattr(upload, "size", None) or 0
    if size > settings.WORKSPACE_ATTACHMENT_MAX_BYTES:
        raise ValidationError.for_field(
            "attachment", _("at most %d bytes") % settings.WORKSPACE_ATTACHMENT_MAX_BYTES
        )
    data = upload.read(settings.WORKSPACE_ATTACHMENT_MAX_BYTES + 1)
    if len(data) > settings.WORKSPACE_ATTACHMENT_MAX_BYTES:
        raise ValidationError.for_field(
            "attachment", _("at most %d bytes") % settings.WORKSPACE_ATTACHMENT_MAX_BYTES
        )
    name = text("attachment", (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1], 200)
    return data, name, getattr(upload, "content_type", "") or ""


def _next_seq(conversation_id: int, now: dt.datetime) -> int:
    """Take the conversation's next message number: one UPDATE ... RETURNING that increments the
    counter and takes the row lock (held to the commit, so numbers never collide and senders to
    one group queue only for the few statements of their own transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workspace_conversation SET last_seq = last_seq + 1, last_message_at = %s"
            " WHERE id = %s RETURNING last_seq",
            [now, conversation_id],
        )
        return cursor.fetchone()[0]


def _post_plain(
    actor: Any, member: Member, conversation: Conversation, body: str, origin_ref: str, now: dt.datetime
) -> Message:
    """An ordinary message on PostgreSQL, in one statement: the number (the row lock, held to the
    commit), the message row and the sender's read position, so concurrent senders to one group
    queue for one round trip and the commit only. The same three writes as ``_post``."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH c AS (
                UPDATE workspace_conversation SET last_seq = last_seq + 1, last_message_at = %(now)s
                WHERE id = %(conversation)s RETURNING last_seq
            ), r AS (
                UPDATE workspace_member SET last_read_seq = (SELECT last_seq FROM c), last_read_at = %(now)s
                WHERE id = %(member)s
            )
            INSERT INTO workspace_message (conversation_id, seq, sender_id, body, urgent, attachment,
                attachment_name, attachment_size, origin_ref, created_at)
            SELECT %(conversation)s, last_seq, %(sender)s, %(body)s, false, '', '', 0, %(origin)s, %(now)s FROM c
            RETURNING id, seq
            """,
            {
                "now": now,
                "conversation": conversation.pk,
                "member": member.pk,
                "sender": actor.pk,
                "body": body,
                "origin": origin_ref,
            },
        )
        pk, seq = cursor.fetchone()
    conversation.last_seq = seq
    conversation.last_message_at = now
    message = Message(
        pk=pk,
        conversation=conversation,
        seq=seq,
        sender=actor,
        body=body,
        origin_ref=origin_ref,
        created_at=now,
    )
    message._state.adding = False
    return message


def _post(
    *,
    actor: Any,
    member: Member,
    conversation: Conversation,
    body: str,
    urgent: bool,
    sms_after_minutes: int | None,
    data: bytes,
    name: str,
    origin_ref: str,
) -> Message:
    """Three statements whatever the group's size: the number, the message, the sender's read
    position. Members' unread counts follow from their read positions; telling them (Web Push,
    and the inbox for urgent notices) is the delivery loop's job after the commit
    (``delivery.messages_deliver``)."""
    now = timezone.now()
    if connection.vendor == "postgresql" and not urgent and not data:
        return _post_plain(actor, member, conversation, body, origin_ref, now)
    seq = _next_seq(conversation.pk, now)
    message = Message(
        conversation=conversation,
        seq=seq,
        sender=actor,
        body=body,
        urgent=urgent,
        origin_ref=origin_ref,
    )
    if urgent:
        minutes = sms_after_minutes or settings.WORKSPACE_URGENT_SMS_AFTER_MINUTES
        message.sms_after_minutes = minutes
        message.escalate_at = now + dt.timedelta(minutes=minutes)
    if data:
        message.attachment.save(name, ContentFile(data), save=False)
        message.attachment_name = name
        message.attachment_size = len(data)
    message.save()
    conversation.last_seq = seq
    conversation.last_message_at = now
    Member.objects.filter(pk=member.pk).update(last_read_seq=seq, last_read_at=now)
    if urgent:
        # Urgent notices keep a receipt per recipient (who has read it, when its SMS went).
        recipients = list(
            Member.objects.filter(conversation_id=conversation.pk)
            .exclude(user_id=actor.pk)
            .values_list("user_id", flat=True)
        )
        UrgentReceipt.objects.bulk_create(
            [UrgentReceipt(message=message, user_id=pk) for pk in recipients], batch_size=1000
        )
        audit.record(
            actor=actor,
            action="workspace.message.urgent",
            target=message,
            org_unit=conversation.org_unit,
            after={"recipients": len(recipients), "sms_after_minutes": message.sms_after_minutes},
        )
    return message


@records_refusals("message_send")
@transaction.atomic
def message_send(
    *,
    actor: Any,
    conversation: Conversation,
    body: str = "",
    urgent: bool = False,
    sms_after_minutes: int | None = None,
    attachment: Any = None,
) -> Message:
    """Post a message (members only). An urgent notice (DING) records a receipt per recipient
    and is sent by SMS to those who have not read it ``sms_after_minutes`` later."""
    _ensure_staff(actor)
    member = Member.objects.filter(conversation=conversation, user=actor).first()
    if member is None:
        raise PermissionDenied(_("you are not a member of this conversation"), code=WorkspaceError.NOT_MEMBER)
    body = text("body", body, 5000, required=attachment is None)
    if sms_after_minutes is not None and not (
        isinstance(sms_after_minutes, int) and 1 <= sms_after_minutes <= 24 * 60
    ):
        raise ValidationError.for_field("sms_after_minutes", _("from 1 to 1440 minutes"))
    data, name, _type = _read_upload(attachment)
    origin = conversation.ref if conversation.case_scoped else ""
    return _post(
        actor=actor,
        member=member,
        conversation=conversation,
        body=body,
        urgent=bool(urgent),
        sms_after_minutes=sms_after_minutes,
        data=data,
        name=name,
        origin_ref=origin,
    )


_POST_SQL = """
WITH m AS (
    SELECT id FROM workspace_member WHERE conversation_id = %(conversation)s AND user_id = %(sender)s
), c AS (
    UPDATE workspace_conversation SET last_seq = last_seq + 1, last_message_at = %(now)s
    WHERE id = %(conversation)s AND EXISTS (SELECT 1 FROM m)
    RETURNING last_seq, CASE WHEN kind IN ('case', 'incident') THEN coalesce(ref, '') ELSE '' END AS origin
), r AS (
    UPDATE workspace_member SET last_read_seq = (SELECT last_seq FROM c), last_read_at = %(now)s
    WHERE id = (SELECT id FROM m) AND EXISTS (SELECT 1 FROM c)
)
INSERT INTO workspace_message (conversation_id, seq, sender_id, body, urgent, attachment,
    attachment_name, attachment_size, origin_ref, created_at)
SELECT %(conversation)s, last_seq, %(sender)s, %(body)s, false, '', '', 0, origin, %(now)s FROM c
RETURNING id, seq, origin_ref
"""


def message_post(*, actor: Any, conversation_id: int, body: str) -> Message:
    """An ordinary text message, the hot path of the JSON API (``POST …/messages``). On
    PostgreSQL it is ONE statement in autocommit (no BEGIN/COMMIT round trips): the membership
    check, the number (the conversation's row lock, held only for that statement), the message
    and the sender's read position. Not a member (or no such conversation): 404, nothing written.
    Elsewhere it is ``message_send``. Members are told by the delivery loop after the commit."""
    _ensure_staff(actor)
    body = text("body", body, 5000)
    if connection.vendor != "postgresql":
        # SQLite: the general path, same result.
        member = (
            Member.objects.filter(conversation_id=conversation_id, user=actor)
            .select_related("conversation")
            .first()
        )
        if member is None:
            raise NotFound(_("no such conversation"))
        return message_send(actor=actor, conversation=member.conversation, body=body)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _POST_SQL, {"now": now, "conversation": conversation_id, "sender": actor.pk, "body": body}
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound(_("no such conversation"))
    pk, seq, origin = row
    message = Message(
        pk=pk,
        conversation_id=conversation_id,
        seq=seq,
        sender=actor,
        body=body,
        origin_ref=origin,
        created_at=now,
    )
    message._state.adding = False
    return message


@records_refusals("message_forward")
@transaction.atomic
def message_forward(*, actor: Any, message: Message, conversation: Conversation) -> Message:
    """Forward a message (and its attachment) to another conversation of the actor's. Out of a
    case's or incident's scope, the text and a text attachment are scanned by the privacy
    detectors first: unmasked identifiers (resident ID, mobile, bank card...) are refused."""
    _ensure_staff(actor)
    if not Member.objects.filter(conversation_id=message.conversation_id, user=actor).exists():
        raise NotFound(_("no such message"))
    member = Member.objects.filter(conversation=conversation, user=actor).first()
    if member is None:
        raise PermissionDenied(_("you are not a member of this conversation"), code=WorkspaceError.NOT_MEMBER)
    data = b""
    if message.attachment:
        with message.attachment.open("rb") as fh:
            data = fh.read()
    leaving = message.origin_ref and message.origin_ref != (conversation.ref or "")
    if leaving:
        content_type = (
            "text/plain" if message.attachment_name.lower().endswith((".txt", ".csv", ".json")) else ""
        )
        kinds = _identifiers(data, content_type, message.body, message.attachment_name)
        if kinds:
            raise ValidationError(
                _(
                    "the message carries unmasked personal identifiers (%s) out of the case's scope; mask them first"
                )
                % ", ".join(kinds),
                code=WorkspaceError.ATTACHMENT_IDENTIFIERS,
                details={"kinds": kinds},
            )
    return _post(
        actor=actor,
        member=member,
        conversation=conversation,
        body=message.body,
        urgent=False,
        sms_after_minutes=None,
        data=data,
        name=message.attachment_name,
        origin_ref=message.origin_ref if not leaving else "",
    )


@transaction.atomic
def conversation_read(*, actor: Any, conversation: Conversation) -> int:
    """Mark every message of the conversation read by the actor (read receipts); returns the
    new read position. Receipts of urgent notices get their read time."""
    member = Member.objects.select_for_update().filter(conversation=conversation, user=actor).first()
    if member is None:
        raise NotFound(_("no such conversation"))
    last = Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation.pk)
    if last <= member.last_read_seq:
        return member.last_read_seq
    now = timezone.now()
    UrgentReceipt.objects.filter(
        user=actor,
        read_at__isnull=True,
        message__conversation=conversation,
        message__seq__gt=member.last_read_seq,
        message__seq__lte=last,
    ).update(read_at=now)
    Member.objects.filter(pk=member.pk).update(last_read_seq=last, last_read_at=now)
    return last


def urgent_escalate(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """The periodic scan: urgent notices whose time has come are sent by SMS to every recipient
    who has not read them (once), through notify. Returns how many SMS were asked for."""
    now = now or timezone.now()
    sent = 0
    due = list(
        Message.objects.filter(urgent=True, escalated_at__isnull=True, escalate_at__lte=now)
        .select_related("conversation")
        .order_by("escalate_at", "id")[:limit]
    )
    for message in due:
        with transaction.atomic():
            claimed = Message.objects.filter(pk=message.pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            pending = list(
                UrgentReceipt.objects.filter(
                    message=message, read_at__isnull=True, sms_at__isnull=True
                ).values_list("pk", "user_id")
            )
            UrgentReceipt.objects.filter(pk__in=[p for p, _u in pending]).update(sms_at=now)
            notify_many(
                recipients=account_selectors.users_by_ids([u for _p, u in pending]),
                event="workspace.urgent_sms",
                title=_("Unread urgent notice: %s") % message.conversation.title,
                body=message.body[:200],
                link=reverse("workspace:conversation", args=[message.conversation_id]),
                channels=("sms",),
            )
            audit.record(
                actor=None,
                action="workspace.message.escalate",
                target=message,
                org_unit=message.conversation.org_unit,
                after={"sms": len(pending)},
                via=VIA,
            )
            sent += len(pending)
    return sent
