"""Monthly range partitions on PostgreSQL for tables that grow without bound (docs/deployment.md §9).

One mechanism for every such table:

- ``partition_table`` (called from a module's migration) turns an existing table into one
  partitioned by month on a timestamp column: the new parent gets the old columns, defaults and
  identity, a primary key of ``(id, <column>)`` (PostgreSQL requires the partition key in every
  unique index), the old table's other indexes under their old names, one partition per month that
  holds rows, the months ahead, and a default partition. The rows are copied in and the old table
  dropped. The ORM still sees ``id`` as the key: ids come from one identity sequence, so they stay
  unique.
- ``register`` names a partitioned table, its column, how many months ahead to keep ready and its
  retention; the worker's daily ``core.partitions`` task (``maintain``) creates the months ahead and
  applies retention: partitions whose whole month is older than the retention are detached
  (``detach``: the table stays in the database, out of every query, for archiving) or dropped.
- Months are UTC months (the database stores UTC).
- On SQLite all of this is a no-op: the embedded database stays one file with plain tables.

Queries that filter on the partition column are pruned to the matching months (see the test's
EXPLAIN); queries that do not still work and read every partition's index.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from zhengtong.core import hooks

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")


@dataclass(frozen=True)
class Partitioned:
    table: str
    column: str
    months_ahead: int = 3
    # None: keep every month. Otherwise whole months older than this many are detached or dropped.
    retention_months: int | None = None
    retention_action: str = "detach"


PARTITIONED = hooks.registry(
    "core.partitions",
    doc="Tables partitioned by month (`core.partitions.register`): kept ready ahead and retained by `maintain`.",
)


def register(spec: Partitioned) -> None:
    _check(spec.table)
    _check(spec.column)
    if spec.retention_action not in {"detach", "drop"}:
        raise ValueError("retention_action is detach or drop")
    PARTITIONED.add(spec.table, spec)


def _check(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain SQL name: {name!r}")
    return name


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partitioned(table: str, conn=None) -> bool:
    conn = conn or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = %s",
            [table],
        )
        return cursor.fetchone() is not None


def partitions_of(table: str, conn=None) -> list[str]:
    """The partitions attached to ``table``, by name."""
    conn = conn or connection
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _ensure_month(cursor, table: str, month: dt.date) -> bool:
    name = partition_name(table, month)
    cursor.execute("SELECT to_regclass(%s)", [name])
    if cursor.fetchone()[0] is not None:
        return False
    start, end = month, _next_month(month)
    cursor.execute(
        f'CREATE TABLE "{name}" PARTITION OF "{table}" '  # noqa: S608 - names checked by _check
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )
    return True


def ensure_months(table: str, column: str, *, first: dt.date, last: dt.date, conn=None) -> int:
    """Partitions for every month from ``first`` to ``last`` (inclusive). Rows of those months
    that sit in the default partition are moved into the new month first."""
    conn = conn or connection
    _check(table), _check(column)
    created = 0
    with conn.cursor() as cursor:
        month = _month(first)
        while month <= _month(last):
            cursor.execute("SELECT to_regclass(%s)", [partition_name(table, month)])
            if cursor.fetchone()[0] is not None:
                month = _next_month(month)
                continue
            default = f"{table}_pdefault"
            start, end = month, _next_month(month)
            cursor.execute(
                f'SELECT count(*) FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s',  # noqa: S608
                [start, end],
            )
            stray = cursor.fetchone()[0]
            if stray:
                # A month cannot be created while the default partition holds its rows: take them
                # out, create it, put them back (through the parent, so they land in the month).
                where = f'"{column}" >= %s AND "{column}" < %s'
                stray_sql = f'CREATE TEMP TABLE zt_stray AS SELECT * FROM "{default}" WHERE {where}'  # noqa: S608
                cursor.execute(stray_sql, [start, end])
                cursor.execute(f'DELETE FROM "{default}" WHERE {where}', [start, end])  # noqa: S608
            created += _ensure_month(cursor, table, month)
            if stray:
                cursor.execute(f'INSERT INTO "{table}" SELECT * FROM zt_stray')  # noqa: S608
                cursor.execute("DROP TABLE zt_stray")
            month = _next_month(month)
    return created


def partition_table(table: str, column: str, *, months_ahead: int = 3, conn=None) -> None:
    """Turn ``table`` (with an ``id`` identity key) into a table partitioned by month on
    ``column``, keeping its rows, indexes (by name), identity and triggers' effect (the caller
    re-installs triggers). PostgreSQL only; a no-op elsewhere or when already partitioned."""
    conn = conn or connection
    if conn.vendor != "postgresql" or is_partitioned(table, conn):
        return
    _check(table), _check(column)
    old = f"{table}_unpartitioned"
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
            [table, f"{table}_pkey"],
        )
        indexes = cursor.fetchall()
        cursor.execute(f'SELECT min("{column}"), max(id) FROM "{table}"')  # noqa: S608
        oldest, max_id = cursor.fetchone()
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        for name, _definition in indexes:
            cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_old"')
        cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{table}_pkey" TO "{old}_pkey"')
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY '
            f'INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY RANGE ("{column}")'
        )
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, "{column}")')
        cursor.execute(f'CREATE TABLE "{table}_pdefault" PARTITION OF "{table}" DEFAULT')
        today = timezone.now().date()
        first = oldest.astimezone(dt.UTC).date() if oldest is not None else today
        ensure_months(table, column, first=first, last=_add_months(today, months_ahead), conn=conn)
        # Indexes made on the parent are made on every partition, and on every later one.
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
        cursor.execute(f'DROP TABLE "{old}"')
        if max_id is not None:
            cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN id RESTART WITH {int(max_id) + 1}')


def _add_months(day: dt.date, months: int) -> dt.date:
    month = _month(day)
    for _ in range(months):
        month = _next_month(month)
    return month


def maintain(today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Create the months ahead and apply retention for every registered table."""
    today = today or timezone.now().date()
    done: dict[str, dict[str, int]] = {}
    if connection.vendor != "postgresql":
        return done
    for spec in PARTITIONED.items():
        if not is_partitioned(spec.table):
            continue
        with transaction.atomic():
            created = ensure_months(
                spec.table, spec.column, first=today, last=_add_months(today, spec.months_ahead)
            )
            retired = retire(spec, today=today) if spec.retention_months else 0
        done[spec.table] = {"created": created, "retired": retired}
        if created or retired:
            log.info(
                "partitions of %s: %d created, %d %s", spec.table, created, retired, spec.retention_action
            )
    return done


def retire(spec: Partitioned, *, today: dt.date) -> int:
    """Detach or drop the partitions whose month ended more than ``retention_months`` ago."""
    cutoff = _month(today)
    for _ in range(spec.retention_months or 0):
        cutoff = (cutoff - dt.timedelta(days=1)).replace(day=1)
    retired = 0
    with connection.cursor() as cursor:
        for name in partitions_of(spec.table):
            suffix = name.removeprefix(f"{spec.table}_p")
            if not suffix.isdigit():
                continue
            month = dt.date(int(suffix[:4]), int(suffix[4:]), 1)
            if month >= cutoff:
                continue
            cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{name}"')
            if spec.retention_action == "drop":
                cursor.execute(f'DROP TABLE "{name}"')
            retired += 1
    return retired
