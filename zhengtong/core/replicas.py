"""Read replicas: GET and HEAD requests read from a PostgreSQL streaming replica when one is fresh
enough for the client, everything else goes to the primary.

One mechanism, three parts (docs/deployment.md §9):

- ``ReplicaReadsMiddleware`` decides per request. Only GET/HEAD requests outside
  ``DATABASE_REPLICA_PRIMARY_PATHS`` may read from a replica. A replica qualifies when its replay lag
  is at most ``DATABASE_REPLICA_MAX_LAG_SECONDS`` and it has replayed the client's last write.
- **Read-your-own-writes.** After a request that wrote (any POST/PUT/PATCH/DELETE, or a GET whose
  view wrote), the primary's WAL insert position is kept in the shared cache under the client's
  keys: its session cookie (before and after the request), its ``Authorization`` header, or for
  anonymous clients its address. (The insert position, not ``pg_current_wal_lsn()``: with
  ``synchronous_commit = off`` the written position can still be behind the commit.) The client's
  next reads go to a replica only once that replica's replay position has passed it, so a citizen
  who just filed never sees a list without their case, on any node.
- ``ReplicaRouter`` sends a request's reads to the chosen replica except reads inside a transaction
  on the primary (every service function is ``transaction.atomic``: what a write path reads is
  always the primary's) and every read after the request wrote. Sessions and login throttling
  always use the primary. Writes and migrations always go to the primary.

Each process asks each replica for its position and lag at most every
``DATABASE_REPLICA_PROBE_MS``; a replica that cannot be reached is left out for
``DATABASE_REPLICA_RETRY_SECONDS``.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

from zhengtong.core.middleware import client_ip

log = logging.getLogger(__name__)

# Apps whose tables are read and written within one request by framework code outside service
# functions (the session, django-axes' login throttling): always the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
PIN_PREFIX = "db-pin:"


@dataclass
class RequestReads:
    """What the router needs to know about the request being served."""

    alias: str | None = None
    wrote: bool = False


_request: contextvars.ContextVar[RequestReads | None] = contextvars.ContextVar(
    "zt_replica_reads", default=None
)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def parse_lsn(text: str | None) -> int | None:
    """``'16/B374D848'`` → an integer that orders WAL positions."""
    if not text:
        return None
    high, _, low = str(text).partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class _Probe:
    at: float = 0.0
    replay: int | None = None
    lag: float = 0.0
    down_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_probes: dict[str, _Probe] = {}

PROBE_SQL = (
    "SELECT pg_last_wal_replay_lsn()::text, "
    "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def probe(alias: str, *, fresh: bool = False) -> _Probe:
    """The replica's replay position and lag, asked at most every ``DATABASE_REPLICA_PROBE_MS``
    (``fresh``: now)."""
    state = _probes.setdefault(alias, _Probe())
    now = time.monotonic()
    if now < state.down_until:
        return state
    if not fresh and now - state.at < settings.DATABASE_REPLICA_PROBE_MS / 1000:
        return state
    with state.lock:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(PROBE_SQL)
                replay, lag = cursor.fetchone()
        except DatabaseError as exc:
            log.warning("replica %s unreachable (%s): reading from the primary", alias, type(exc).__name__)
            state.replay, state.down_until = None, now + settings.DATABASE_REPLICA_RETRY_SECONDS
            connections[alias].close()
            return state
        state.replay, state.lag, state.at = parse_lsn(replay), float(lag or 0), time.monotonic()
    return state


def _fits(state: _Probe, pin: int | None) -> bool:
    if state.replay is None or time.monotonic() < state.down_until:
        return False
    if state.lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return False
    return pin is None or state.replay >= pin


def choose_replica(pin: int | None) -> str | None:
    """A replica that has replayed ``pin`` (the client's last write) and lags little, or None
    (read from the primary)."""
    aliases = replica_aliases()
    random.shuffle(aliases)
    for alias in aliases:
        state = probe(alias)
        if _fits(state, pin):
            return alias
        # The cached position may be a probe interval old: ask once more before giving up.
        behind = pin is not None and state.replay is not None and state.replay < pin
        if behind and _fits(probe(alias, fresh=True), pin):
            return alias
    return None


def pin_keys(request, response=None) -> list[str]:
    """The cache keys that name this client: its session cookie (the one it sent and the one it is
    given), its Authorization header, else its address."""
    parts: list[str] = []
    cookie_name = settings.SESSION_COOKIE_NAME
    if request.COOKIES.get(cookie_name):
        parts.append("s:" + request.COOKIES[cookie_name])
    if response is not None and cookie_name in response.cookies and response.cookies[cookie_name].value:
        parts.append("s:" + response.cookies[cookie_name].value)
    if request.META.get("HTTP_AUTHORIZATION"):
        parts.append("a:" + request.META["HTTP_AUTHORIZATION"])
    if not parts:
        parts.append("ip:" + (client_ip(request) or ""))
    return [PIN_PREFIX + hashlib.sha256(part.encode()).hexdigest()[:32] for part in parts]


def client_pin(request) -> int | None:
    values = [value for value in cache.get_many(pin_keys(request)).values() if value is not None]
    return max(values) if values else None


def record_write(request, response) -> None:
    """Remember the primary's WAL position for the client that just wrote."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            position = parse_lsn(cursor.fetchone()[0])
    except DatabaseError:
        # A failed request may have left the connection in an aborted transaction; the next
        # request's reads then go to the primary anyway (no pin means any replica would do, so
        # be safe: pin far ahead for the pin's lifetime).
        log.warning("could not read the primary's WAL position; the client reads from the primary")
        position = 1 << 62
    cache.set_many(
        dict.fromkeys(pin_keys(request, response), position), settings.DATABASE_REPLICA_PIN_SECONDS
    )


class ReplicaReadsMiddleware:
    """Chooses the request's database for reads (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.primary_paths = tuple(settings.DATABASE_REPLICA_PRIMARY_PATHS)

    def __call__(self, request):
        reads = RequestReads()
        if request.method in SAFE_METHODS and not request.path.startswith(self.primary_paths):
            reads.alias = choose_replica(client_pin(request))
        request.db_reads = reads
        token = _request.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if reads.wrote or request.method not in SAFE_METHODS:
            record_write(request, response)
        return response


class ReplicaRouter:
    """Reads of a request to the replica its middleware chose; writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        reads = _request.get()
        if reads is None or reads.alias is None or reads.wrote:
            return None
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections["default"].in_atomic_block:
            return None
        return reads.alias

    def db_for_write(self, model, **hints):
        reads = _request.get()
        if reads is not None:
            reads.wrote = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
