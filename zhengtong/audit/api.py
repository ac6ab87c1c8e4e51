from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from zhengtong.audit import actions, log, selectors
from zhengtong.audit import services as audit
from zhengtong.audit.models import AuditEvent
from zhengtong.core import ratelimit
from zhengtong.core.authz import ensure_can, root_unit
from zhengtong.core.errors import Conflict, NotFound, ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS

router = Router(tags=["audit"])

# Tree heads and consistency proofs hold only hashes: anyone may check the log grows append-only.
PUBLIC_OPERATIONS: set[str] = {"audit_tree_head", "audit_consistency"}


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
    tree_size: int
    root_hash: str
    signed_heads: int
    unsequenced: int
    first_break: str | None
    reason: str | None
    message: str


@router.get("/verify", response={200: AuditVerifyOut, **ERRORS}, operation_id="audit_verify")
def verify(request):
    """Check the whole log: events, entries, nodes, signed heads (platform-wide auditors only)."""
    ensure_can(request.auth, "audit.view", root_unit())
    report = log.verify_log()
    audit.record(
        actor=request.auth, action="audit.chain.verify", after={"ok": report.ok, "checked": report.checked}
    )
    brk = report.first_break
    return AuditVerifyOut(
        ok=report.ok,
        checked=report.checked,
        tree_size=report.tree_size,
        root_hash=report.root_hash,
        signed_heads=report.heads,
        unsequenced=report.unsequenced,
        first_break=brk.where if brk else None,
        reason=brk.reason if brk else None,
        message=brk.message if brk else f"{report.checked} events in the log, all checks passed",
    )


class TreeHeadOut(Schema):
    log: str
    tree_size: int
    root_hash: str
    timestamp: str
    prev_head: str
    kid: str
    alg: str
    signature: str


class ConsistencyQuery(Schema):
    first: int
    second: int


class ConsistencyOut(Schema):
    first: int
    second: int
    path: list[str]


class InclusionOut(Schema):
    event_id: int
    canonical: str
    event_hash: str
    leaf_index: int
    leaf_hash: str
    path: list[str]
    head: TreeHeadOut


def _public_limit(request) -> None:
    ratelimit.hit(
        "audit.public", client_ip(request) or "-", limit=settings.AUDIT_PUBLIC_PER_MINUTE, window_seconds=60
    )


@router.get(
    "/tree-heads/latest", response={200: TreeHeadOut, **ERRORS}, auth=None, operation_id="audit_tree_head"
)
def tree_head(request):
    """The latest signed tree head (verify with the `audit.tree_head` key of /api/v1/seals/keys)."""
    _public_limit(request)
    head = log.latest_head()
    if head is None:
        raise NotFound(_("no signed tree head yet"))
    return log.head_dict(head)


@router.get(
    "/consistency", response={200: ConsistencyOut, **ERRORS}, auth=None, operation_id="audit_consistency"
)
def consistency(request, q: Query[ConsistencyQuery]):
    """RFC 9162 consistency proof between two tree sizes (each ≤ the latest signed head's)."""
    _public_limit(request)
    head = log.latest_head()
    limit = head.tree_size if head else 0
    if not 0 < q.first <= limit:
        raise ValidationError.for_field("first", _("must be between 1 and the latest signed tree size"))
    if not q.first <= q.second <= limit:
        raise ValidationError.for_field("second", _("must be between first and the latest signed tree size"))
    return {"first": q.first, "second": q.second, "path": log.consistency_proof(q.first, q.second)}


@router.get(
    "/events/{event_id}/proof", response={200: InclusionOut, **ERRORS}, operation_id="audit_event_proof"
)
def event_proof(request, event_id: int):
    """The event's inclusion proof to the latest signed head: for auditors in scope, and for the
    person whose action the event records."""
    event = selectors.audit_event_for_proof(request.auth, event_id)
    proof = log.inclusion_proof(event)
    if proof is None:
        raise Conflict(_("the event is not yet covered by a signed tree head; try again in a few seconds"))
    return proof
