"""The datastore engine: read, infer, validate, write immutable Parquet versions, query with DuckDB.

Public functions (the contract the catalog codes against; see docs/datastore.md):

- ``read_file(path, *, fmt=None, encoding=None, max_bytes=None) -> pyarrow.Table``
- ``infer_schema(table) -> dict``
- ``validate(table, schema, *, max_errors=1000) -> (pyarrow.Table, list[RowError])``
- ``write_version(table_key, variants, *, mode="replace", base_version=None, serve=False) -> int``
- ``activate(table_key, version)``, ``active_version(table_key)``, ``versions(table_key)``
- ``query(table_key, version, variant, *, ..., schema) -> QueryResult``
- ``run_sql(table_key, version, variant, sql, *, timeout_s=5, max_rows=1000) -> (columns, rows)``
- ``export(table_key, version, variant, fmt, *, filters=None, fields=None, ...) -> Iterator[bytes]``

Tables are identified by ``table_key`` ("res-42"), versions are integers that never change once
written, and each version holds one Parquet file per variant ("raw", "public").

The package, one module per job (callers import this package, not the modules):

- ``store``: the version store (write, activate, list, delete; the files a version is read from)
- ``compiler``: filters, sorting, ``q`` and keyset cursors compiled to DuckDB SQL with bound values
- ``results``: the one result cache of counts, facets and aggregates (through ``core.cache``)
- ``queries``: ``query()`` on the process's DuckDB database
- ``sandbox``: ``run_sql()``, one read-only SELECT in an OS-limited child process (``sandbox_child``)
- ``exports``: ``export()``, CSV / XLSX / JSON / Parquet streams
"""

from zhengtong.datastore.engine.compiler import json_value
from zhengtong.datastore.engine.exports import export, neutralize
from zhengtong.datastore.engine.queries import QueryResult, facet_key, query
from zhengtong.datastore.engine.results import RESULTS_CACHE
from zhengtong.datastore.engine.sandbox import (
    SqlRows,
    aggregate_function_names,
    check_sql,
    run_sql,
    sql_from_tree,
    sql_tree,
)
from zhengtong.datastore.engine.store import (
    ROW,
    VARIANTS,
    activate,
    active_version,
    arrow_type,
    clear_caches,
    delete_table,
    manifest,
    retire,
    versions,
    write_version,
)
from zhengtong.datastore.reading import read_file
from zhengtong.datastore.schema import RowError, RowErrors, infer_schema, validate
from zhengtong.datastore.storage import Storage

__all__ = [
    "RESULTS_CACHE",
    "ROW",
    "facet_key",
    "VARIANTS",
    "QueryResult",
    "RowError",
    "RowErrors",
    "SqlRows",
    "Storage",
    "activate",
    "aggregate_function_names",
    "active_version",
    "arrow_type",
    "check_sql",
    "clear_caches",
    "delete_table",
    "export",
    "infer_schema",
    "json_value",
    "manifest",
    "neutralize",
    "query",
    "read_file",
    "retire",
    "run_sql",
    "sql_from_tree",
    "sql_tree",
    "validate",
    "versions",
    "write_version",
]
