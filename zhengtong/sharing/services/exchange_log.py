"""Writing the exchange log: every call's row is committed before its receipt is returned.

Two ways, chosen by ``SHARING_LOG_WRITE`` (``auto``: ``group`` on PostgreSQL outside tests,
else ``inline``):

- ``inline``: the row is saved in the caller's transaction (SQLite; the test suite).
- ``group`` (group commit): the row goes to this process's log writer, a thread with its own
  PostgreSQL connection that takes every row waiting, writes them with one ``COPY`` and commits;
  the caller waits for that commit (at most ``SHARING_LOG_WAIT_SECONDS``) and only then returns
  the answer and its receipt. Rows arriving while a batch commits form the next batch, so under
  load one commit (and one fsync) carries many calls, and an idle call waits for one commit
  only. The receipt is signed synchronously before the row is queued (it is part of the row).

The writer's own connection also means a row is kept when the caller's transaction rolls back:
a verification made for a case whose submission then fails stays in the log (the exchange
happened). A call is never answered without its row: if the writer fails or times out, the
call fails (503) and no answer leaves the platform.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django.db.models import JSONField

from zhengtong.core.errors import ZhengtongError
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import Exchange

log = logging.getLogger(__name__)

BATCH_MAX = 500


class LogUnavailable(ZhengtongError):
    status = 503
    code = SharingError.LOG_UNAVAILABLE


def mode() -> str:
    chosen = settings.SHARING_LOG_WRITE
    if chosen != "auto":
        return chosen
    if settings.TESTING or connections["default"].vendor != "postgresql":
        return "inline"
    return "group"


_FIELDS = [f for f in Exchange._meta.concrete_fields if not f.primary_key]
_COPY = "COPY {table} ({cols}) FROM STDIN".format(
    table=Exchange._meta.db_table, cols=", ".join(f'"{f.column}"' for f in _FIELDS)
)
_JSON = frozenset(f.attname for f in _FIELDS if isinstance(f, JSONField))
# Defaults of the columns a caller may leave out (``direction``), as the model would fill them.
_DEFAULTS = {f.attname: f.get_default for f in _FIELDS if f.has_default()}


def _row(values: dict) -> tuple:
    row = []
    for f in _FIELDS:
        name = f.attname
        value = values[name] if name in values else _DEFAULTS[name]()
        if name in _JSON:
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        row.append(value)
    return tuple(row)


@dataclass
class _Entry:
    row: tuple
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupWriter:
    """One per process (re-created after a fork): a thread that COPYs waiting rows and commits."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.cond = threading.Condition()
        self.pending: list[_Entry] = []
        self.conn = None
        self.conn_lock = threading.Lock()
        self.batches = 0
        self.rows = 0
        self.idle = False  # waiting for a first row (a submit wakes it; otherwise no wake-up per row)
        self.last = 0  # rows of the last batch
        self.thread = threading.Thread(target=self._run, name="sharing-log-writer", daemon=True)
        self.thread.start()

    def submit(self, row: tuple) -> None:
        entry = _Entry(row)
        with self.cond:
            self.pending.append(entry)
            if self.idle:
                self.cond.notify()
        if not entry.done.wait(settings.SHARING_LOG_WAIT_SECONDS):
            raise LogUnavailable("the exchange log did not commit in time; nothing was returned")
        if entry.error is not None:
            raise LogUnavailable("the exchange log could not be written; nothing was returned")

    def _connect(self):
        import psycopg

        params = connections["default"].settings_dict
        return psycopg.connect(
            dbname=params["NAME"],
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            application_name="zhengtong-sharing-log",
        )

    def _write(self, batch: list[_Entry]) -> None:
        with self.conn_lock:
            if self.conn is None or self.conn.closed:
                self.conn = self._connect()
            with self.conn.cursor() as cur, cur.copy(_COPY) as copy:
                for entry in batch:
                    copy.write_row(entry.row)
            self.conn.commit()

    def close(self) -> None:
        """Close the writer's connection (it reconnects on the next batch)."""
        with self.conn_lock:
            if self.conn is not None:
                self.conn.close()
            self.conn = None

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.pending:
                    self.idle = True
                    self.cond.wait()
                self.idle = False
                lingering = self.last > 1 and len(self.pending) < BATCH_MAX
            # Calls are arriving together (the last commit carried several): wait a little for
            # more, so one commit carries more of them. A lone call is written at once.
            if lingering and settings.SHARING_LOG_LINGER_MS:
                time.sleep(settings.SHARING_LOG_LINGER_MS / 1000)
            with self.cond:
                batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
            self.last = len(batch)
            try:
                self._write(batch)
                self.batches += 1
                self.rows += len(batch)
            except Exception as exc:  # noqa: BLE001 - every waiter must hear of it
                log.exception("exchange log batch of %d rows failed", len(batch))
                self.close()
                for entry in batch:
                    entry.error = exc
            for entry in batch:
                entry.done.set()


_writer: GroupWriter | None = None
_writer_lock = threading.Lock()


def writer() -> GroupWriter:
    global _writer
    with _writer_lock:
        if _writer is None or _writer.pid != os.getpid():
            _writer = GroupWriter()
        return _writer


def close() -> None:
    """Close this process's writer connection, if any (tests, before the database is dropped)."""
    if _writer is not None and _writer.pid == os.getpid():
        _writer.close()


def write(values: dict) -> None:
    """Commit one log row to the log (see the module docstring); raises LogUnavailable.
    ``values``: the Exchange's columns by attribute name (``grant_id``...); those left out take
    the model's defaults."""
    if mode() == "group":
        writer().submit(_row(values))
    else:
        Exchange(**values).save()
