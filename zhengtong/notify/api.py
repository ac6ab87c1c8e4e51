from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.core.pagination import clamp_limit
from zhengtong.core.schemas import ERRORS
from zhengtong.notify import selectors, services

router = Router(tags=["notify"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = set()


class MessageOut(Schema):
    id: int
    event: str
    title: str
    body: str
    link: str
    read_at: dt.datetime | None
    created_at: dt.datetime


class MessagePage(Schema):
    items: list[MessageOut]
    next: str | None
    unread: int


class InboxQuery(Schema):
    unread: bool = False
    cursor: str | None = None
    limit: int | None = None


class MarkedOut(Schema):
    marked: int


@router.get("/messages", response={200: MessagePage, **ERRORS}, operation_id="notify_messages")
def messages(request, f: Query[InboxQuery]):
    """Your own inbox, newest first (``unread=true`` for unread only)."""
    ensure_authenticated(request.auth)
    page = selectors.inbox(
        request.auth, unread=f.unread, cursor=f.cursor, limit=clamp_limit(f.limit, default=20)
    )
    return {"items": page.items, "next": page.next_cursor, "unread": selectors.unread_count(request.auth)}


@router.post(
    "/messages/{message_id}/read", response={200: MessageOut, **ERRORS}, operation_id="notify_mark_read"
)
def mark_read(request, message_id: int):
    """Mark one of your messages read (idempotent)."""
    ensure_authenticated(request.auth)
    return services.message_mark_read(actor=request.auth, message_id=message_id)


@router.post("/messages/read-all", response={200: MarkedOut, **ERRORS}, operation_id="notify_mark_all_read")
def mark_all_read(request):
    """Mark every unread message of the caller as read; answers how many changed."""
    ensure_authenticated(request.auth)
    return {"marked": services.messages_mark_all_read(actor=request.auth)}
