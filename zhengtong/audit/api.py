from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema

from zhengtong.audit import actions, selectors
from zhengtong.audit import services as audit
from zhengtong.audit.models import AuditEvent
from zhengtong.audit.services import verify_chain
from zhengtong.core.authz import ensure_can, root_unit
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS

router = Router(tags=["audit"])


class EventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    action_label: str
    target_type: str
    target_id: str
    target_label: str
    org_unit: str
    before: dict | None
    after: dict | None
    note: str
    via: str
    request_id: str
    hash: str
    prev_hash: str

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_action_label(obj: AuditEvent) -> str:
        return actions.label(obj.action)

    @staticmethod
    def resolve_org_unit(obj: AuditEvent) -> str:
        return obj.org_unit_code


class EventFilter(Schema):
    action: str = ""
    actor: str = ""
    target_type: str = ""
    target_id: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    cursor: str | None = None
    limit: int | None = None


class EventPage(Schema):
    items: list[EventOut]
    next: str | None


@router.get("/events", response={200: EventPage, **ERRORS}, operation_id="audit_events")
def events(request, f: Query[EventFilter]):
    """Audit events in your scope, newest first (needs audit.view)."""
    qs = selectors.audit_events_for(
        request.auth,
        action=f.action,
        actor_label=f.actor,
        target_type=f.target_type,
        target_id=f.target_id,
        since=f.since,
        until=f.until,
    )
    page = keyset_page(qs, order=["-id"], cursor=f.cursor, limit=clamp_limit(f.limit))
    return {"items": page.items, "next": page.next_cursor}


class AuditVerifyOut(Schema):
    ok: bool
    checked: int
    first_break_id: int | None
    message: str


@router.get("/verify", response={200: AuditVerifyOut, **ERRORS}, operation_id="audit_verify")
def verify(request):
    """Walk the whole chain (platform-wide auditors only)."""
    ensure_can(request.auth, "audit.view", root_unit())
    report = verify_chain()
    audit.record(
        actor=request.auth, action="audit.chain.verify", after={"ok": report.ok, "checked": report.checked}
    )
    brk = report.first_break
    return AuditVerifyOut(
        ok=report.ok,
        checked=report.checked,
        first_break_id=brk.event_id if brk else None,
        message=brk.message if brk else f"{report.checked} events, chain intact",
    )
