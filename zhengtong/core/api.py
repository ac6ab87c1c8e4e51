from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from zhengtong.core import outbox
from zhengtong.core.calendar import add_working_days, is_supported
from zhengtong.core.errors import ValidationError
from zhengtong.core.schemas import ERRORS

router = Router(tags=["core"])


class DeadlineIn(Schema):
    start: dt.date
    days: int


class DeadlineOut(Schema):
    start: dt.date
    working_days: int
    deadline: dt.date
    official_calendar: bool


@router.get(
    "/calendar/deadline",
    response={200: DeadlineOut, **ERRORS},
    auth=None,
    operation_id="core_calendar_deadline",
)
def calendar_deadline(request, params: Query[DeadlineIn]):
    """The deadline ``days`` working days after ``start`` (the start day is not counted; 调休 included)."""
    if not 0 <= params.days <= 365:
        raise ValidationError.for_field("days", _("must be between 0 and 365"))
    deadline = add_working_days(params.start, params.days)
    return DeadlineOut(
        start=params.start,
        working_days=params.days,
        deadline=deadline,
        official_calendar=is_supported(params.start) and is_supported(deadline),
    )


class HealthOut(Schema):
    status: str


@router.get("/health", response=HealthOut, auth=None, operation_id="core_health")
def health(request):
    """Liveness for load balancers: answers when the process runs and the database responds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}


class OutboxMessageOut(Schema):
    id: int
    topic: str
    key: str
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class OutboxFilter(Schema):
    state: str = ""
    topic: str = ""
    cursor: str | None = None
    limit: int | None = None


class OutboxPage(Schema):
    items: list[OutboxMessageOut]
    next: str | None


@router.get("/outbox", response={200: OutboxPage, **ERRORS}, operation_id="core_outbox_messages")
def outbox_messages(request, f: Query[OutboxFilter]):
    """Transactional outbox messages, newest first, without their payloads (platform-wide
    ``core.view_outbox`` only); ``state`` is pending, delivered or failed, ``topic`` exact."""
    page = outbox.messages_list(
        actor=request.auth, state=f.state, topic=f.topic, cursor=f.cursor, limit=f.limit
    )
    return {"items": page.items, "next": page.next_cursor}
