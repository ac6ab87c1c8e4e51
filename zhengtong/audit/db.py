"""Database-level protection of the audit table: UPDATE and DELETE are refused by triggers.

The hash chain detects tampering; the triggers make tampering need DDL rights as well. The
migration installs them; the test database leaves them out (the test runner must empty tables
between tests) and the tests that check them install them with ``append_only_enforced()``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

# The event table and the log's own tables (entries, nodes, signed heads): none is ever updated or
# deleted. The unsequenced queue (audit_auditqueue) is the one table the sequencer deletes from.
APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditlogentry", "audit_auditnode", "audit_audittreehead")


def _sqlite_create(table: str) -> list[str]:
    short = table.removeprefix("audit_audit")
    return [
        f"CREATE TRIGGER IF NOT EXISTS audit_{short}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;",
        f"CREATE TRIGGER IF NOT EXISTS audit_{short}_no_delete BEFORE DELETE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;",
    ]


def _pg_trigger(table: str) -> str:
    return "audit_event_no_change" if table == "audit_auditevent" else f"{table}_no_change"


def _create(tables) -> dict[str, list[str]]:
    return {
        "sqlite": [sql for table in tables for sql in _sqlite_create(table)],
        "postgresql": [
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit records are append-only'; END; $$ LANGUAGE plpgsql;",
            *[
                sql
                for table in tables
                for sql in (
                    f"DROP TRIGGER IF EXISTS {_pg_trigger(table)} ON {table};",
                    f"CREATE TRIGGER {_pg_trigger(table)} BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();",
                )
            ],
        ],
    }


CREATE = _create(APPEND_ONLY_TABLES)
DROP = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS audit_{table.removeprefix('audit_audit')}_no_{verb};"
        for table in APPEND_ONLY_TABLES
        for verb in ("update", "delete")
    ],
    "postgresql": [
        *[f"DROP TRIGGER IF EXISTS {_pg_trigger(table)} ON {table};" for table in APPEND_ONLY_TABLES],
        "DROP FUNCTION IF EXISTS audit_event_append_only();",
    ],
}


def _execute(statements: dict[str, list[str]], conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        for sql in statements.get(conn.vendor, []):
            cursor.execute(sql)


def enforce_append_only(conn=None, tables=APPEND_ONLY_TABLES) -> None:
    """Install the triggers on ``tables`` (migrations name the tables that exist at their point)."""
    _execute(_create(tables), conn)


def lift_append_only(conn=None) -> None:
    _execute(DROP, conn)


def is_enforced() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_%_no_%'"
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_event_no_change'"
            )  # the first one
        return cursor.fetchone()[0] > 0


@contextmanager
def append_only_enforced():
    enforce_append_only()
    try:
        yield
    finally:
        lift_append_only()


@contextmanager
def append_only_lifted():
    """For a DBA's deliberate, documented repair (and the tamper tests). Nothing else calls this."""
    was = is_enforced()
    lift_append_only()
    try:
        yield
    finally:
        if was:
            enforce_append_only()
