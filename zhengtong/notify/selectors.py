"""Reads of the inbox: a user sees only their own messages."""

from __future__ import annotations

from typing import Any

from zhengtong.core.pagination import Page, keyset_page
from zhengtong.notify.models import Message


def unread_count(user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def inbox(user: Any, *, unread: bool = False, cursor: str | None = None, limit: int = 20) -> Page:
    qs = Message.objects.filter(recipient_id=user.pk)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return keyset_page(qs, order=["-created_at", "-id"], cursor=cursor, limit=limit)
