"""The SQL sandbox: one read-only SELECT over one version, in a child process the OS limits.

``check_sql`` accepts one SELECT by DuckDB's own parser and walks its syntax tree
(``json_serialize_sql``): only the view ``data``, the query's own CTEs and a few generating table
functions may be read, and no function that reveals settings, paths or the catalog may be called.
``run_sql`` runs the checked query in ``sandbox_child.py``, a fresh Python process with an empty
environment whose address space and CPU time are capped by ``setrlimit`` and which is killed on a
wall-clock timeout, so no query can grow the web worker or outlive its time.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import duckdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine.compiler import json_value
from zhengtong.datastore.engine.store import ROW, source_path

logger = logging.getLogger(__name__)


class SqlRows(list):
    """Rows of a sandboxed query; ``truncated`` tells that ``max_rows`` cut the result."""

    truncated: bool = False


_SELECT = duckdb.StatementType.SELECT
_MAX_SQL = 20_000

# Table functions a query may read from; every other one (read_*, glob, query, duckdb_*,
# pragma_*, parquet_*, sniff_csv, which_secret, ...) is refused.
_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree"})
# Functions that reveal settings, paths, the catalog or the environment, or run SQL from text.
_DENIED_FUNCTIONS = frozenset(
    {
        "current_setting", "set_config", "getenv", "getvariable", "current_query", "version",
        "platform", "user_agent", "extension_versions", "database_list", "database_size",
        "show_databases", "copy_database", "import_database", "query", "query_table",
        "json_serialize_sql", "json_deserialize_sql", "json_serialize_plan",
        "json_execute_serialized_sql", "checkpoint", "force_checkpoint",
        "enable_checkpoint_on_shutdown", "disable_checkpoint_on_shutdown", "enable_profile",
        "enable_profiling", "disable_profile", "disable_profiling", "enable_logging",
        "disable_logging", "write_log", "which_secret", "glob", "sniff_csv", "load_extension",
    }
)  # fmt: skip
_DENIED_PREFIXES = ("duckdb_", "pragma_", "read_", "parquet_", "pg_")  # pg_get_viewdef, ...
_ALLOWED_DESPITE_PREFIX = frozenset({"pg_typeof", "pg_size_pretty"})

_CHILD = Path(__file__).with_name("sandbox_child.py")
# Wall-clock allowance for starting the child (Python, DuckDB and pyarrow imports) on a busy
# machine, on top of the query's own time limit.
_STARTUP_S = 10
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(I?)B?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}


# Rebuilds the cells ``sandbox_child._encode`` tagged (JSON only: nothing the child sends is run).
_DECODERS = {
    "tuple": lambda v: tuple(_decode(item) for item in v),
    "dict": lambda v: {_decode(k): _decode(item) for k, item in v},
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
    "uuid": uuid.UUID,
    "timedelta": lambda v: dt.timedelta(*v),
    "bytes": base64.b64decode,
    "str": str,
}


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        return _DECODERS[value["$"]](value["v"])
    return value


_PARSER = threading.local()


def _parser() -> duckdb.DuckDBPyConnection:
    """This thread's DuckDB connection for parsing and unparsing SQL (no table, no file access;
    kept because opening a connection costs far more than a parse)."""
    # Per process too: a connection inherited through fork() is never used (DuckDB's threads are not).
    if getattr(_PARSER, "pid", None) != os.getpid():
        _PARSER.con = duckdb.connect(":memory:", config={"enable_external_access": False, "threads": 1})
        _PARSER.pid = os.getpid()
    return _PARSER.con


def _parse_tree(sql: str) -> dict:
    """DuckDB's syntax tree of ``sql`` (parsing only: nothing runs, no table is bound)."""
    text = _parser().execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    try:
        return json.loads(text)
    except RecursionError:
        raise ValidationError.for_field("sql", _("is nested too deeply")) from None


def _check_tree(tree: dict) -> None:
    """Refuse tables other than ``data`` and the query's CTEs, and the functions denied above."""
    if tree.get("error"):
        raise ValidationError.for_field(
            "sql",
            _("uses a form the sandbox does not accept: %(msg)s")
            % {"msg": str(tree.get("error_message", ""))[:200]},
        )
    nodes, ctes, tables, functions = [tree], set(), [], []
    while nodes:
        node = nodes.pop()
        if isinstance(node, list):
            nodes.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if isinstance(node.get("cte_map"), dict):
            ctes.update(str(entry.get("key", "")).lower() for entry in node["cte_map"].get("map", []))
        if kind == "BASE_TABLE":
            tables.append(node)
        elif kind == "SHOW_REF" and node.get("table_name"):
            tables.append({"table_name": node["table_name"], "schema_name": "x"})
        elif kind == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name not in _TABLE_FUNCTIONS:
                functions.append(name)
        if node.get("class") == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name in _DENIED_FUNCTIONS or (
                name.startswith(_DENIED_PREFIXES) and name not in _ALLOWED_DESPITE_PREFIX
            ):
                functions.append(name)
        nodes.extend(value for value in node.values() if isinstance(value, dict | list))
    for table in tables:
        name = str(table.get("table_name", ""))
        if table.get("schema_name") or table.get("catalog_name") or name.lower() not in ctes | {"data"}:
            raise ValidationError.for_field(
                "sql", _("may only read the table data, not %(name)s") % {"name": name[:100]}
            )
    if functions:
        names = ", ".join(sorted(set(functions)))[:200]
        raise ValidationError.for_field("sql", _("may not call %(name)s") % {"name": names})


def _checked_tree(sql: str) -> dict:
    """The checks of ``check_sql``; returns the syntax tree they were made on."""
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError.for_field("sql", _("is empty"))
    if len(sql) > _MAX_SQL:
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
    tree = _parse_tree(sql)
    _check_tree(tree)
    return tree


def check_sql(sql: str) -> str:
    """Accept exactly one SELECT, by DuckDB's own parser, that reads only ``data`` (and its own
    CTEs and generating table functions) and calls no function revealing settings or paths."""
    _checked_tree(sql)
    return sql


def sql_tree(sql: str) -> dict:
    """DuckDB's syntax tree of a query ``check_sql`` accepts (checked on this very tree), for
    callers that inspect or extend it (the data sandbox's disclosure control); ``sql_from_tree``
    turns it back into SQL."""
    return _checked_tree(sql)


def sql_from_tree(tree: dict) -> str:
    """SQL text of a syntax tree from ``sql_tree`` (DuckDB's own deserializer: nothing runs)."""
    try:
        return _parser().execute("SELECT json_deserialize_sql(?)", [json.dumps(tree)]).fetchone()[0]
    except duckdb.Error as exc:
        raise ValidationError.for_field(
            "sql", _("does not parse: %(msg)s") % {"msg": str(exc).splitlines()[0][:200]}
        ) from None


_AGGREGATES: frozenset[str] | None = None


def aggregate_function_names() -> frozenset[str]:
    """Names of DuckDB's aggregate functions (read once from the engine's own catalogue)."""
    global _AGGREGATES  # noqa: PLW0603 - computed once per process; the set never changes
    if _AGGREGATES is None:
        with duckdb.connect(":memory:") as con:
            rows = con.execute(
                "SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'"
            ).fetchall()
        _AGGREGATES = frozenset(row[0] for row in rows) | {"count_star"}
    return _AGGREGATES


def memory_limit_bytes(limit: str) -> int:
    """Bytes of a DuckDB size setting ("512MB" = 512 * 1000², "512MiB" = 512 * 1024²)."""
    match = _SIZE.match(str(limit))
    if not match:
        raise ImproperlyConfigured(f"DATASTORE_SQL_MEMORY_LIMIT={limit!r} is not a size such as 512MB")
    number, unit, binary = match.groups()
    return int(float(number) * (1024 if binary else 1000) ** _POWERS[unit.upper()])


def run_sql(
    table_key: str,
    version: int,
    variant: str,
    sql: str,
    *,
    timeout_s: float | None = None,
    max_rows: int | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> tuple[list[str], list[tuple]]:
    """Run one read-only SELECT in a sandbox where the version is the view ``data``.

    The query runs in a child process (``sandbox_child.py``, empty environment, working directory
    the version's folder) on a fresh DuckDB connection: only the version's file is readable
    (allowed_paths + enable_external_access=false), configuration locked, extensions never loaded,
    ``DATASTORE_SQL_THREADS`` threads. The child's address space is capped at what it uses plus
    ``DATASTORE_SQL_MEMORY_LIMIT`` (RLIMIT_AS) and its CPU time at ``timeout_s`` + 1 s (RLIMIT_CPU);
    it interrupts the query after ``timeout_s`` and is killed after ``timeout_s`` + a start-up
    allowance. Any breach is a ValidationError on ``sql``; the calling process is never touched.
    At most ``max_rows`` rows come back (``rows.truncated`` says so). ``memory_limit`` (a DuckDB
    size such as "1GB") and ``threads`` override ``DATASTORE_SQL_MEMORY_LIMIT`` and
    ``DATASTORE_SQL_THREADS`` for callers with their own limits (the data sandbox's jobs).
    """
    check_sql(sql)
    memory_limit = memory_limit or settings.DATASTORE_SQL_MEMORY_LIMIT
    timeout_s = timeout_s or settings.DATASTORE_SQL_TIMEOUT_S
    max_rows = min(max_rows or settings.DATASTORE_SQL_MAX_ROWS, settings.DATASTORE_SQL_MAX_ROWS * 10)
    memory_bytes = memory_limit_bytes(memory_limit)
    memory_mb = memory_bytes // 1_000_000
    path = source_path(table_key, version, variant)
    request = {
        "file": os.path.basename(path),
        "sql": sql,
        "exclude": ROW,
        "max_rows": max_rows,
        "memory_limit": memory_limit,
        "memory_bytes": memory_bytes,
        "threads": threads or settings.DATASTORE_SQL_THREADS,
        "timeout_s": timeout_s,
    }
    # details["limit"] tells callers which limit stopped the query, whatever the language.
    too_long = ValidationError.for_field(
        "sql",
        _("took longer than %(s)s seconds and was stopped") % {"s": timeout_s},
        details={"limit": "time"},
    )
    too_big = ValidationError.for_field(
        "sql",
        _("exceeded the memory limit of %(mb)s MB and was stopped") % {"mb": memory_mb},
        details={"limit": "memory"},
    )
    try:
        child = subprocess.run(  # noqa: S603 - our own interpreter and script, no shell
            [sys.executable, "-I", str(_CHILD)],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout_s + _STARTUP_S,
            cwd=os.path.dirname(path),
            env={"PATH": os.defpath, "LANG": "C.UTF-8", "TZ": os.environ.get("TZ", "UTC")},
            check=False,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        raise too_long from None
    try:
        answer = json.loads(child.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise too_long
        if child.returncode < 0 or b"MemoryError" in child.stderr:
            logger.warning("SQL sandbox child ended with %s: %s", child.returncode, child.stderr[-500:])
            raise too_big
        raise RuntimeError(f"SQL sandbox child failed ({child.returncode}): {child.stderr[-500:]!r}")
    if not answer.get("ok"):
        error = answer.get("error")
        if error == "timeout":
            raise too_long
        if error == "memory":
            raise too_big
        raise ValidationError.for_field("sql", _("failed: %(msg)s") % {"msg": answer.get("message", "")})
    try:
        rows = SqlRows(tuple(json_value(_decode(cell)) for cell in row) for row in answer["rows"])
    except RecursionError:
        raise ValidationError.for_field("sql", _("is nested too deeply")) from None
    rows.truncated = bool(answer.get("truncated"))
    return list(answer["columns"]), rows
