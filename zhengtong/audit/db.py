"""Database-level protection of the audit table: UPDATE and DELETE are refused by triggers.

The hash chain detects tampering; the triggers make tampering need DDL rights as well. The
migration installs them; the test database leaves them out (the test runner must empty tables
between tests) and the tests that check them install them with ``append_only_enforced()``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

CREATE = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;",
        "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent;",
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_event_no_update;",
        "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent;",
        "DROP FUNCTION IF EXISTS audit_event_append_only();",
    ],
}


def _execute(statements: dict[str, list[str]], conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        for sql in statements.get(conn.vendor, []):
            cursor.execute(sql)


def enforce_append_only(conn=None) -> None:
    _execute(CREATE, conn)


def lift_append_only(conn=None) -> None:
    _execute(DROP, conn)


def is_enforced() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_event_no_%'"
            )
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_event_no_change'")
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
