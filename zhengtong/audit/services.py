"""Writing and verifying the audit trail.

Every write in Zhengtong goes through a service function that calls ``record()`` inside the
same transaction as the change. ``record()`` stores the event with the SHA-256 of its canonical
serialization and puts its id on the unsequenced queue, both in the caller's transaction, and takes
no lock: audited writes never queue behind one another. After commit the sequencer
(``audit.log.integrate``, run by the task worker) appends queued events to a Merkle log and signs
tree heads; ``audit.log.verify_log()`` checks the whole structure (see ``audit/log.py``).

Events written before the log existed also form a hash chain (each stores its predecessor's hash
in ``prev_hash``); they entered the log first, in id order, without their hashes being rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.utils import timezone

from zhengtong.audit import actions
from zhengtong.audit.models import AuditEvent, AuditQueue
from zhengtong.core import context, prepared, trail
from zhengtong.core.logging import mask_text
from zhengtong.core.masking import SENSITIVE_FIELDS, pseudonymize

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "org_unit_code",
    "org_unit_path",
    "before",
    "after",
    "note",
    "request_id",
    "channel",
    "ip",
    "prev_hash",
)
# Hashed only when set, so events written before the field existed keep their hashes.
OPTIONAL_HASHED_FIELDS = ("via",)


def _json_safe(data: Any) -> Any:
    if data is None:
        return None
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))


def _protect(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Personal identifiers never enter the trail in clear: masked, plus a keyed pseudonym for matching."""
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        masker = SENSITIVE_FIELDS.get(key)
        if masker and value:
            out[key] = {"masked": masker(str(value)), "pseudonym": pseudonymize(str(value), purpose=key)}
        elif isinstance(value, dict):
            out[key] = _protect(value)
        else:
            out[key] = value
    return out


# What ``json.dumps(..., sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` uses, made
# once (json.dumps makes an encoder per call with these arguments).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(values: dict[str, Any]) -> bytes:
    """Canonical serialization: sorted keys, no whitespace, UTC microsecond timestamps."""
    payload = {}
    for field in HASHED_FIELDS:
        value = values.get(field)
        if field == "occurred_at" and value is not None:
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload[field] = value
    for field in OPTIONAL_HASHED_FIELDS:
        if values.get(field):
            payload[field] = values[field]
    return _CANONICAL_JSON.encode(payload).encode()


def compute_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def event_values(event: AuditEvent) -> dict[str, Any]:
    return {field: getattr(event, field) for field in (*HASHED_FIELDS, *OPTIONAL_HASHED_FIELDS)}


def _target_fields(target: Any) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    meta = getattr(target, "_meta", None)
    target_type = meta.label_lower if meta else type(target).__name__.lower()
    label = getattr(target, "audit_label", None)
    label = label() if callable(label) else (label or str(target))
    return target_type, str(getattr(target, "pk", "") or ""), str(label)[:200]


def _org_fields(org_unit: Any, target: Any) -> tuple[str, str]:
    unit = org_unit if org_unit is not None else getattr(target, "org_unit", None)
    if unit is None:
        return "", ""
    return unit.code, unit.path


def event_build(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    org_unit: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    target_type: str | None = None,
    target_id: str | None = None,
    target_label: str | None = None,
    via: str = "",
) -> AuditEvent:
    """The event ``record()`` writes, built and hashed but not saved (arguments as ``record``).
    ``record_event()`` or ``event_insert_sql()`` writes it."""
    if not actions.is_registered(action):
        raise ValueError(f"audit action {action!r} is not registered")
    ctx = context.current()
    t_type, t_id, t_label = _target_fields(target)
    unit_code, unit_path = _org_fields(org_unit, target)
    values = {
        "occurred_at": timezone.now(),
        "actor_id": getattr(actor, "pk", None),
        "actor_label": (actor.get_username() if actor is not None else "system")[:150],
        "action": action,
        "target_type": target_type or t_type,
        "target_id": target_id if target_id is not None else t_id,
        "target_label": mask_text(target_label if target_label is not None else t_label)[:200],
        "org_unit_code": unit_code,
        "org_unit_path": unit_path,
        "before": _json_safe(_protect(before)),
        "after": _json_safe(_protect(after)),
        "note": note,
        "request_id": ctx.request_id,
        "channel": ctx.channel,
        "ip": ctx.ip,
        "via": via[:40],
        "prev_hash": "",
    }
    # Hashed from the values the event is made of (as ``event_values(event)`` would give them).
    event = AuditEvent(**values, hash=compute_hash(values))
    return event


def record(
    *,
    actor: Any,
    action: str,
    target: Any = None,
    org_unit: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    target_type: str | None = None,
    target_id: str | None = None,
    target_label: str | None = None,
    via: str = "",
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``action`` must be registered (audit.actions.register). ``actor`` is a user, or None for the
    system. ``via`` names the module through which the actor's action had this effect (a trusted
    internal call, e.g. ``"payments"`` when a citizen's payment moves their case on). Personal
    identifiers in ``before``/``after`` are masked and pseudonymized.
    """
    event = event_build(
        actor=actor, action=action, target=target, org_unit=org_unit, before=before, after=after, note=note,
        target_type=target_type, target_id=target_id, target_label=target_label, via=via,
    )  # fmt: skip
    return record_event(event)


def record_event(event: AuditEvent) -> AuditEvent:
    """Write an event of ``event_build`` (and queue it), in the caller's transaction; inside a
    ``core.prepared.together()`` block on PostgreSQL, with the block's other rows when it ends
    (the event has its id then)."""
    # No savepoint: a failure here must abort the caller's change as well (an audited change
    # without its event is not allowed), so the caller's transaction is the unit of rollback.
    connection = connections[router.db_for_write(AuditEvent)]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=connection.alias, savepoint=False):
            event.save(force_insert=True, using=connection.alias)
            AuditQueue.objects.using(connection.alias).create(event_id=event.id, hash=event.hash)
        return event
    # On PostgreSQL the event and its place on the queue in one statement (atomic by itself):
    # one round trip, and no ORM insert compiler per row.
    sql, params = event_insert_sql(event, connection)
    selects = [f"(SELECT id FROM {EVENT_CTE})"]  # noqa: S608 (names from the models)
    prepared.write(connection, sql, params, selects, lambda pk: event_inserted(event, pk, connection))
    return event


# The names of the CTEs ``event_insert_sql`` makes: the caller's statement reads the event's id
# as ``(SELECT id FROM zt_audit_event)`` and passes it to ``event_inserted``.
EVENT_CTE = trail.EVENT_CTE


def event_insert_sql(event: AuditEvent, connection: Any) -> tuple[str, list[Any]]:
    """The event of ``event_build`` and its place on the unsequenced queue as two data-modifying
    CTEs (PostgreSQL), ``zt_audit_event AS (...), zt_audit_queue AS (...)``, for a caller that
    writes its change and the change's event in one statement (atomic as ``record()``'s
    transaction is: the change without its event cannot commit). Returns SQL and parameters."""
    insert, params = prepared.insert_sql(event, connection)
    quote = connection.ops.quote_name
    queue = AuditQueue._meta
    event_id, event_hash = quote(AuditEvent._meta.pk.column), quote(AuditEvent._meta.get_field("hash").column)
    columns = f"{quote(queue.pk.column)}, {quote(queue.get_field('hash').column)}"
    # Names from the models, no input: the values are parameters.
    sql = (
        f"{EVENT_CTE} AS ({insert} RETURNING {event_id}, {event_hash}), zt_audit_queue AS"  # noqa: S608
        f" (INSERT INTO {quote(queue.db_table)} ({columns}) SELECT {event_id}, {event_hash} FROM {EVENT_CTE})"
    )
    return sql, params


def event_inserted(event: AuditEvent, event_id: int, connection: Any) -> AuditEvent:
    """The event written by ``event_insert_sql``'s statement, with its id."""
    return prepared.saved(event, event_id, connection)


def record_statement(connection: Any, **kwargs: Any) -> tuple[str, list[Any], Any]:
    """``record(**kwargs)`` for a caller that writes its change and the event in one statement
    (PostgreSQL; ``core.trail.record_statement``): the CTEs of ``event_insert_sql``, their
    parameters, and the function to call with the event's id, read by the caller's statement as
    ``(SELECT id FROM zt_audit_event)``, once it ran."""
    event = event_build(**kwargs)
    sql, params = event_insert_sql(event, connection)
    return sql, params, lambda event_id: event_inserted(event, event_id, connection)


actions.register({"audit.chain.verify": "Verify the audit log"})
