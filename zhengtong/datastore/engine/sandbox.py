"""The SQL sandbox: one read-only SELECT over one version, on a locked-down DuckDB connection."""

from __future__ import annotations

import threading

import duckdb
from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine.compiler import json_value, lit, qi
from zhengtong.datastore.engine.store import ROW, source_path


class SqlRows(list):
    """Rows of a sandboxed query; ``truncated`` tells that ``max_rows`` cut the result."""

    truncated: bool = False


_SELECT = duckdb.StatementType.SELECT


def check_sql(sql: str) -> str:
    """Accept exactly one SELECT statement, by DuckDB's own parser."""
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError.for_field("sql", _("is empty"))
    if len(sql) > 20_000:
        raise ValidationError.for_field("sql", _("is longer than 20000 characters"))
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ValidationError.for_field(
            "sql", _("does not parse: %(msg)s") % {"msg": str(exc).splitlines()[0][:200]}
        ) from None
    if len(statements) != 1:
        raise ValidationError.for_field("sql", _("must be exactly one statement"))
    if statements[0].type != _SELECT:
        raise ValidationError.for_field(
            "sql", _("only SELECT is allowed, not %(kind)s") % {"kind": statements[0].type.name}
        )
    return sql


def run_sql(
    table_key: str,
    version: int,
    variant: str,
    sql: str,
    *,
    timeout_s: float | None = None,
    max_rows: int | None = None,
) -> tuple[list[str], list[tuple]]:
    """Run one read-only SELECT in a sandbox where the version is the view ``data``.

    A fresh DuckDB connection per call: only the version's file is readable
    (allowed_paths + enable_external_access=false), configuration locked, memory and threads
    capped, extensions never loaded, interrupted after ``timeout_s``, at most ``max_rows`` rows
    (``rows.truncated`` says so).
    """
    check_sql(sql)
    timeout_s = timeout_s or settings.DATASTORE_SQL_TIMEOUT_S
    max_rows = min(max_rows or settings.DATASTORE_SQL_MAX_ROWS, settings.DATASTORE_SQL_MAX_ROWS * 10)
    path = source_path(table_key, version, variant)
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": settings.DATASTORE_SQL_THREADS,
            "memory_limit": settings.DATASTORE_SQL_MEMORY_LIMIT,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    try:
        con.execute(f"SET allowed_paths = [{lit(path)}]")
        con.execute(f"CREATE VIEW data AS SELECT * EXCLUDE ({qi(ROW)}) FROM read_parquet({lit(path)})")  # noqa: S608 - identifiers checked and quoted, values bound
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout_s, con.interrupt)
        timer.start()
        try:
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            fetched = cursor.fetchmany(max_rows + 1)
        except duckdb.InterruptException:
            raise ValidationError.for_field(
                "sql", _("took longer than %(s)s seconds and was stopped") % {"s": timeout_s}
            ) from None
        except duckdb.OutOfMemoryException:
            raise ValidationError.for_field("sql", _("needs more memory than allowed")) from None
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0][:300]
            raise ValidationError.for_field("sql", _("failed: %(msg)s") % {"msg": message}) from None
        finally:
            timer.cancel()
    finally:
        con.close()
    rows = SqlRows(tuple(json_value(v) for v in row) for row in fetched[:max_rows])
    rows.truncated = len(fetched) > max_rows
    return columns, rows
