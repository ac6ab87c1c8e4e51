"""The transactional outbox: the one way to do something outside the database after a commit.

    from zhengtong.core import outbox

    @outbox.handler("notify.delivery")
    def deliver(payload: dict) -> None: ...          # raise to have it retried

    outbox.enqueue(topic="notify.delivery", key=str(delivery.pk), payload={"delivery_id": delivery.pk})

- ``enqueue`` writes an ``OutboxMessage`` in the caller's transaction: rolled back with it, never lost
  once committed. The same topic and key twice is one message (idempotent enqueue).
- After the commit the message is handed to the task worker, which tries it once at once (messages
  written as CTEs of one statement, in a ``together()`` block or by ``enqueue_statement``, with
  the task queue in the same database: their task row is written by that statement, ``_task_for``).
- A handler that raises is retried by the periodic sweep (``core.outbox``) with exponential backoff
  (``retry_base_seconds * 2**(attempts-1)``) until ``max_attempts``; then the message is ``failed``
  and the handler's ``on_failed(payload, error)`` runs. ``PermanentFailure`` fails it at once;
  ``RetryLater(delay=...)`` asks for at least that delay.
- Delivery is at least once: a worker dying after the handler ran but before the message was marked
  delivered delivers it again. Handlers tolerate re-delivery (check their own state first).
- A message is claimed by a conditional update before its handler runs (no lock is held while the
  handler talks to the outside world), so two workers never run the same attempt twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, router, transaction
from django.db.models import F, Q
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from zhengtong.core import prepared
from zhengtong.core.authz import ensure_can, root_unit
from zhengtong.core.errors import ValidationError
from zhengtong.core.models import OutboxMessage
from zhengtong.core.pagination import Page, clamp_limit, keyset_page

logger = logging.getLogger(__name__)

# How long a claimed attempt may run before the sweep considers its worker dead and tries again.
CLAIM_SECONDS = 300

IntSetting = int | Callable[[], int] | None


class PermanentFailure(Exception):
    """Raised by a handler: retrying cannot help; the message becomes ``failed`` at once."""


class RetryLater(Exception):
    """Raised by a handler: try again, but not before ``delay`` (e.g. a gateway's rate limit)."""

    def __init__(self, message: str, *, delay: dt.timedelta) -> None:
        super().__init__(message)
        self.delay = delay


@dataclass(frozen=True)
class Handler:
    topic: str
    fn: Callable[[dict], Any]
    max_attempts: IntSetting
    retry_base_seconds: IntSetting
    on_failed: Callable[[dict, str], Any] | None

    def limit(self) -> int:
        return _resolve(self.max_attempts, settings.OUTBOX_MAX_ATTEMPTS)

    def backoff(self, attempts: int) -> dt.timedelta:
        base = _resolve(self.retry_base_seconds, settings.OUTBOX_RETRY_BASE_SECONDS)
        return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


_handlers: dict[str, Handler] = {}


def _resolve(value: IntSetting, default: int) -> int:
    if value is None:
        return default
    return value() if callable(value) else value


def handler(
    topic: str,
    *,
    max_attempts: IntSetting = None,
    retry_base_seconds: IntSetting = None,
    on_failed: Callable[[dict, str], Any] | None = None,
) -> Callable[[Callable], Callable]:
    """Register the function that delivers messages of ``topic`` (one per topic).

    ``max_attempts`` and ``retry_base_seconds`` default to OUTBOX_MAX_ATTEMPTS and
    OUTBOX_RETRY_BASE_SECONDS; a callable is read at each attempt (e.g. ``lambda:
    settings.NOTIFY_MAX_ATTEMPTS``). ``on_failed(payload, last_error)`` runs once when the message
    is given up."""

    def decorator(fn: Callable) -> Callable:
        existing = _handlers.get(topic)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"outbox topic {topic!r} already has a handler")
        _handlers[topic] = Handler(topic, fn, max_attempts, retry_base_seconds, on_failed)
        return fn

    return decorator


def topics() -> list[str]:
    """The topics that have a handler."""
    return sorted(_handlers)


def _checked(topic: str, key: str, payload: dict) -> str:
    if topic not in _handlers:
        raise ValueError(f"no outbox handler for topic {topic!r}")
    key = str(key)
    if not key or len(key) > 200:
        raise ValueError("an outbox key is 1 to 200 characters")
    try:
        return json.dumps(payload, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outbox payload must be JSON: {exc}") from None


def enqueue(*, topic: str, key: str, payload: dict) -> OutboxMessage:
    """Record a message in the caller's transaction and deliver it after the commit.

    Promises: the message exists exactly when the caller's change commits; a second enqueue of the
    same ``topic`` and ``key`` returns the first message and delivers nothing more. ``payload`` must
    be JSON (ValueError otherwise); an unknown topic is a programming error (ValueError). Inside a
    ``core.prepared.together()`` block on PostgreSQL the message is written with the block's other
    rows when it ends, and the one returned has no id."""
    key = str(key)
    body = _checked(topic, key, payload)
    conn = transaction.get_connection()
    block = prepared.pending(conn)
    if block is not None:  # written with the block's other rows when it ends (``prepared.together``)
        sql, params = _values_sql(topic, [(key, body)])
        done, then = _hand_off(conn)
        block.add(f"{OUTBOX_CTE} AS ({sql})", params, [_FRESH_IDS], done, then)
        return OutboxMessage(topic=topic, key=key, payload=payload)
    ids, fresh = _insert(topic, [(key, body)])
    if not fresh:
        return OutboxMessage.objects.get(pk=ids[key])
    _hand_after_commit(fresh)
    message = OutboxMessage(pk=ids[key], topic=topic, key=key, payload=payload)
    message._state.adding = False
    return message


def enqueue_many(*, topic: str, items: list[tuple[str, dict]]) -> list[int]:
    """``enqueue`` for many messages of one topic, set-based: one INSERT per thousand whatever
    their number (a key already enqueued keeps its first message and delivers nothing more), and
    all the messages one transaction enqueues are handed to the worker as one task after its
    commit. Returns the messages' ids in the order of ``items``."""
    if not items:
        return []
    rows = [(str(key), _checked(topic, str(key), payload)) for key, payload in items]
    ids, fresh = _insert(topic, rows)
    _hand_after_commit(fresh)
    return [ids[key] for key, _body in rows]


# The CTE a message statement names its INSERT, and what the caller's statement returns for it:
# the ids of the messages it wrote (a twin of an existing message writes none).
OUTBOX_CTE = "zt_outbox"
_FRESH_IDS = f"(SELECT array_agg(id ORDER BY id) FROM {OUTBOX_CTE})"  # noqa: S608 (no input)
_COLUMNS = "topic, key, payload, state, attempts, next_attempt_at, last_error, created_at"
_CONFLICT = "ON CONFLICT (topic, key) DO NOTHING RETURNING id, key"


def _times() -> tuple[Any, Any]:
    """(next_attempt_at, created_at) of a new message: the sweep's first look is after the delay."""
    now = timezone.now()
    stale = now + dt.timedelta(seconds=settings.OUTBOX_SWEEP_DELAY_SECONDS)
    return connection.ops.adapt_datetimefield_value(stale), connection.ops.adapt_datetimefield_value(now)


def _values_sql(topic: str, rows: list[tuple[str, str]]) -> tuple[str, list[Any]]:
    stale, now = _times()
    values = ", ".join(["(%s, %s, %s, %s, 0, %s, '', %s)"] * len(rows))
    params: list[Any] = []
    for key, body in rows:
        params += [topic, key, body, OutboxMessage.State.PENDING, stale, now]
    table = OutboxMessage._meta.db_table
    return f"INSERT INTO {table} ({_COLUMNS}) VALUES {values} {_CONFLICT}", params  # noqa: S608 (the model's table)


def _fresh_written(ids: list[int] | None) -> None:
    _hand_after_commit(list(ids or []))


def _handed(ids: list[int] | None) -> None:
    """The messages were handed to the worker by their own statement (``_task_cte``)."""


# The task that hands a statement's messages to the worker, written in that statement after
# the messages (``prepared.Then``: after every message CTE of a ``together()`` block, one task for
# them all). When the task queue is a table of this database (django-tasks' database backend, as
# deployed), a task row written with the messages becomes visible to the worker exactly when they
# do, at the commit, and is rolled back with them: what the after-commit hand-off gives, without
# its second transaction and the ORM's save of the task (measured: about 1 ms of a service
# submission's 6.7 ms of CPU). The row is prepared as the backend's ``enqueue`` prepares it (its
# model's defaults and ``pre_save`` receivers: the backend's own sets ``run_after``); its argument
# is the list of the statement's new message ids, for ``outbox_deliver_batch_task`` (an empty list
# when every key was a twin: the task then delivers nothing). django-tasks' ``task_enqueued``
# signal is not sent (its one receiver logs at debug level). Messages written outside a block's
# or a statement's CTEs (``enqueue`` at once, ``enqueue_many``) are handed after the commit.
_TASK_CTE = "zt_outbox_task"


def _statement_task(conn: Any) -> prepared.Then | None:
    """``_task_for`` when the task queue is a table of ``conn``'s database on PostgreSQL, else
    None (the test settings' immediate backend runs a task as it is enqueued, so it must wait for
    the commit)."""
    backend = outbox_deliver_batch_task.get_backend()
    if (
        conn.vendor != "postgresql"
        or not isinstance(backend, DatabaseBackend)
        or backend.options.get("id_function")
        or router.db_for_write(DBTaskResult) != conn.alias
    ):
        return None
    return _task_for


def _hand_off(conn: Any) -> tuple[Callable[[list[int] | None], None], prepared.Then | None]:
    """How a statement's messages reach the worker: (the ``done`` for their ids, the ``then`` for
    ``prepared.write``). Their task in the same statement when ``_statement_task`` allows it, else
    handed after the commit."""
    then = _statement_task(conn)
    return (_fresh_written if then is None else _handed), then


def _task_for(suffixes: list[str]) -> tuple[str, list[Any]]:
    """``zt_outbox_task AS (INSERT ...)``: one task for the messages of the ``zt_outbox<suffix>``
    CTEs, and its parameters."""
    task = outbox_deliver_batch_task
    backend = task.get_backend()
    backend.validate_task(task)
    row = DBTaskResult(
        args_kwargs={},
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )
    pre_save.send(sender=DBTaskResult, instance=row, raw=False, using=connection.alias, update_fields=None)
    union = " UNION ALL ".join(f"SELECT id FROM {OUTBOX_CTE}{suffix}" for suffix in suffixes)  # noqa: S608 (no input)
    ids = f"COALESCE((SELECT jsonb_agg(id ORDER BY id) FROM ({union}) AS ids), '[]'::jsonb)"  # noqa: S608 (no input)
    args = f"jsonb_build_object('args', jsonb_build_array({ids}), 'kwargs', '{{}}'::jsonb)"
    sql, params = prepared.insert_rows_sql([row], connection, {"args_kwargs": args})
    return f"{_TASK_CTE} AS ({sql})", params


def enqueue_statement(
    *, topic: str, source: str, key_sql: str, payload_sql: str
) -> tuple[str, list[Any], str, Callable[[list[int] | None], None], prepared.Then | None]:
    """For a caller that writes the rows its messages are about and the messages in one statement
    (PostgreSQL): one message of ``topic`` per row of ``source`` (a CTE of the caller's
    statement), its key and JSON payload the SQL expressions ``key_sql`` and ``payload_sql`` over
    that row (e.g. ``id::text`` and ``jsonb_build_object('delivery_id', id)``). Returns the CTE
    (``zt_outbox AS (...)``), its parameters, the expression the statement returns for it, and the
    function to call with that value once it ran (it hands the new messages to the worker after
    the commit, as ``enqueue`` does), and the ``then`` to give ``prepared.write`` with them (None,
    or the worker's task written in the same statement: ``_statement_task``). Same keys as
    ``enqueue``: a twin is one message."""
    if topic not in _handlers:
        raise ValueError(f"no outbox handler for topic {topic!r}")
    stale, now = _times()
    table = OutboxMessage._meta.db_table
    # Names and expressions from the caller's code (no input): the values are parameters.
    sql = (
        f"{OUTBOX_CTE} AS (INSERT INTO {table} ({_COLUMNS}) SELECT %s, {key_sql}, {payload_sql}, %s, 0, %s, '', %s"  # noqa: S608
        f" FROM {source} {_CONFLICT})"
    )
    done, then = _hand_off(connection)
    return sql, [topic, OutboxMessage.State.PENDING, stale, now], _FRESH_IDS, done, then


def _insert(topic: str, rows: list[tuple[str, str]]) -> tuple[dict[str, int], list[int]]:
    """INSERT ... ON CONFLICT (topic, key) DO NOTHING RETURNING: no look-up first, and no savepoint
    (a concurrent twin is skipped, not an error). Returns {key: id} for every row and the new ids."""
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            sql, params = _values_sql(topic, rows[start : start + 1000])
            cursor.execute(sql, params)
            ids |= {k: pk for pk, k in cursor.fetchall()}
    fresh = list(ids.values())
    missing = [key for key, _body in rows if key not in ids]
    if missing:
        ids |= dict(OutboxMessage.objects.filter(topic=topic, key__in=missing).values_list("key", "pk"))
    return ids, fresh


class _Batch:
    """The messages handed to the worker by one on-commit callback (registered at one savepoint
    level of one transaction), and whether the callback has run. ``done`` is not the same as
    "no longer in ``run_on_commit``": a commit takes callbacks out as it runs them, but a caller
    that runs captured callbacks itself (pytest-django's ``django_capture_on_commit_callbacks``)
    leaves them there."""

    __slots__ = ("done", "ids")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.done = False

    def __call__(self) -> None:
        self.done = True
        _hand_to_worker(self.ids)


def _hand_after_commit(ids: list[int]) -> None:
    """The messages an ``enqueue``/``enqueue_many`` call wrote, handed to the worker after the
    commit, with every other message the transaction wrote at the same savepoint level: one task
    per transaction, however many messages (nothing when it rolls back: Django drops its
    callbacks, and a savepoint's rollback drops the callback of the messages written under it)."""
    if not ids:
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:  # autocommit: written already, as on_commit would run it now
        _hand_to_worker(list(ids))
        return
    # The savepoints a rollback could undo the messages by (``atomic(savepoint=False)`` adds None).
    savepoints = frozenset(sid for sid in conn.savepoint_ids if sid is not None)
    batches = conn.__dict__.setdefault("_zt_outbox_batches", {})
    batch = batches.get(savepoints)
    if (
        batch is None
        or batch.done
        or not any(callback is batch for _sids, callback, _robust in conn.run_on_commit)
    ):
        if len(batches) > 100:  # the callbacks of finished transactions: drop their references
            batches.clear()
        batch = batches[savepoints] = _Batch()
        transaction.on_commit(batch)
    batch.ids.extend(ids)


def _hand_to_worker(message_ids: list[int]) -> None:
    try:
        if len(message_ids) == 1:
            outbox_deliver_task.enqueue(message_ids[0])
        else:
            outbox_deliver_batch_task.enqueue(message_ids)
    except Exception:  # noqa: BLE001 - the periodic sweep picks them up
        logger.exception("could not hand outbox messages %s to the worker", message_ids[:10])


def _claim(message_id: int, *, condition: Q, now: dt.datetime) -> bool:
    claimed = OutboxMessage.objects.filter(
        condition, pk=message_id, state=OutboxMessage.State.PENDING
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def _attempt(message_id: int, *, condition: Q) -> str:
    now = timezone.now()
    if not _claim(message_id, condition=condition, now=now):
        state = OutboxMessage.objects.filter(pk=message_id).values_list("state", flat=True).first()
        return state or "missing"
    message = OutboxMessage.objects.get(pk=message_id)
    entry = _handlers.get(message.topic)
    try:
        if entry is None:
            raise RuntimeError(f"no outbox handler for topic {message.topic!r}")
        entry.fn(message.payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        return _failed(message, entry, exc)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return OutboxMessage.State.DELIVERED


def _failed(message: OutboxMessage, entry: Handler | None, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:300]
    now = timezone.now()
    give_up = entry is None or isinstance(exc, PermanentFailure) or message.attempts >= entry.limit()
    if give_up:
        state, next_at = OutboxMessage.State.FAILED, None
    else:
        delay = entry.backoff(message.attempts)
        if isinstance(exc, RetryLater):
            delay = max(delay, exc.delay)
        state, next_at = OutboxMessage.State.PENDING, now + delay
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, next_attempt_at=next_at, last_error=error)
    logger.warning(
        "outbox %s:%s attempt %s failed%s: %s",
        message.topic,
        message.key,
        message.attempts,
        " (given up)" if give_up else "",
        error,
    )
    if give_up and entry is not None and entry.on_failed is not None:
        entry.on_failed(message.payload, error)
    return state


def deliver(message_id: int) -> str:
    """The first attempt of a message (what the worker runs after the commit): a message some other
    worker already attempted is left alone. Returns the message's state."""
    return _attempt(message_id, condition=Q(attempts=0))


def deliver_now(message_id: int) -> str:
    """Attempt a pending message now, whatever its schedule (an admin's retry, tests, demo data).
    A delivered or failed message is not touched. Returns the message's state."""
    return _attempt(message_id, condition=Q())


def deliver_due(*, now: dt.datetime | None = None, topic: str | None = None, limit: int = 500) -> int:
    """Attempt every pending message whose time has come (retries after their backoff, and first
    attempts that never reached the worker). Returns how many were attempted."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
    if topic is not None:
        due = due.filter(topic=topic)
    ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    for pk in ids:
        _attempt(pk, condition=Q(next_attempt_at__lte=now))
    return len(ids)


def deliver_pending(*, topic: str) -> int:
    """Attempt every pending message of ``topic`` now, whatever its schedule (demo data, tests).
    Returns how many were attempted."""
    ids = list(
        OutboxMessage.objects.filter(topic=topic, state=OutboxMessage.State.PENDING)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        deliver_now(pk)
    return len(ids)


def messages_list(
    *, actor: Any, state: str = "", topic: str = "", cursor: str | None = None, limit: int | None = None
) -> Page:
    """Outbox messages newest first, for platform administrators (``core.view_outbox`` at the root
    org unit: the outbox is platform-wide). PermissionDenied otherwise; an unknown ``state`` is a
    ValidationError."""
    ensure_can(actor, "core.view_outbox", root_unit())
    qs = OutboxMessage.objects.all()
    if state:
        if state not in OutboxMessage.State.values:
            raise ValidationError.for_field("state", _("must be pending, delivered or failed"))
        qs = qs.filter(state=state)
    if topic:
        qs = qs.filter(topic=topic)
    return keyset_page(qs, order=["-id"], cursor=cursor, limit=clamp_limit(limit))


@task()
def outbox_deliver_task(message_id: int) -> str:
    return deliver(message_id)


@task()
def outbox_deliver_batch_task(message_ids: list[int]) -> list[str]:
    """The first attempt of the messages one transaction enqueued, one after the other."""
    return [deliver(pk) for pk in message_ids]


@task()
def outbox_sweep_task() -> int:
    return deliver_due()
