"""The datastore engine: read, infer, validate, write immutable Parquet versions, query with DuckDB.

Public functions (the contract the catalog codes against; see docs/datastore.md):

- ``read_file(path, *, fmt=None, encoding=None, max_bytes=None) -> pyarrow.Table``
- ``infer_schema(table) -> dict``
- ``validate(table, schema, *, max_errors=1000) -> (pyarrow.Table, list[RowError])``
- ``write_version(table_key, variants, *, mode="replace", base_version=None) -> int``
- ``activate(table_key, version)``, ``active_version(table_key)``, ``versions(table_key)``
- ``query(table_key, version, variant, *, ..., schema) -> QueryResult``
- ``run_sql(table_key, version, variant, sql, *, timeout_s=5, max_rows=1000) -> (columns, rows)``
- ``export(table_key, version, variant, fmt, *, filters=None, fields=None, ...) -> Iterator[bytes]``

Tables are identified by ``table_key`` ("res-42"), versions are integers that never change once
written, and each version holds one Parquet file per variant ("raw", "public").
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import io
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from zhengtong.core import cache
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datastore.reading import read_file
from zhengtong.datastore.schema import ARROW_TYPES, RowError, RowErrors, check_schema, infer_schema, validate
from zhengtong.datastore.storage import Storage, check_key, get_storage

__all__ = [
    "QueryResult",
    "RowError",
    "RowErrors",
    "Storage",
    "activate",
    "active_version",
    "delete_table",
    "export",
    "infer_schema",
    "query",
    "read_file",
    "run_sql",
    "validate",
    "versions",
    "write_version",
]

ROW = "_row"
VARIANTS = ("raw", "public")
OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startswith", "isnull")
AGG_OPS = ("count", "sum", "avg", "min", "max")
NUMERIC = {"integer", "number", "year"}
_CURSOR_SALT = "zhengtong.datastore.cursor"
_VERSION_DIR = re.compile(r"^v(\d+)$")


# =============================================================================== versions (write)


def _key(table_key: str, *parts: str) -> str:
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$", table_key or ""):
        raise ValidationError.for_field("table_key", _("must be letters, digits, - or _"))
    return check_key("/".join((table_key, *parts)))


def _manifest_key(table_key: str, version: int) -> str:
    return _key(table_key, f"v{int(version)}", "manifest.json")


def _file_key(table_key: str, version: int, variant: str) -> str:
    if variant not in VARIANTS:
        raise ValidationError.for_field("variant", _("must be raw or public"))
    return _key(table_key, f"v{int(version)}", f"{variant}.parquet")


def versions(table_key: str) -> list[int]:
    """Complete versions of a table (those whose manifest was written), ascending."""
    storage = get_storage()
    found = []
    for name in storage.list(_key(table_key)):
        match = _VERSION_DIR.match(name)
        if match and storage.exists(_manifest_key(table_key, int(match.group(1)))):
            found.append(int(match.group(1)))
    return sorted(found)


def manifest(table_key: str, version: int) -> dict:
    storage = get_storage()
    key = _manifest_key(table_key, version)
    if not storage.exists(key):
        raise NotFound(_("Version %(v)s of this table does not exist.") % {"v": version})
    with storage.open(key) as fh:
        return json.load(fh)


def _reserve_version(table_key: str) -> int:
    storage = get_storage()
    taken = [int(m.group(1)) for n in storage.list(_key(table_key)) if (m := _VERSION_DIR.match(n))]
    number = max(taken, default=0) + 1
    while not storage.create_exclusive(_key(table_key, f"v{number}", "reserved")):
        number += 1
    return number


def _with_row_numbers(table: pa.Table) -> pa.Table:
    if ROW in table.column_names:
        table = table.drop_columns([ROW])
    return table.append_column(ROW, pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)))


def _dictionary_columns(table: pa.Table, sample_rows: int = 50_000) -> list[str]:
    """Columns whose values repeat (in a sample): dictionary encoding pays for them only. For
    near-unique columns (names, IDs, addresses) the writer would build a dictionary, outgrow it
    and fall back to plain encoding: a third of the write's CPU spent for nothing."""
    sample = table.slice(0, sample_rows)
    if sample.num_rows == 0:
        return []
    return [
        name
        for name in table.column_names
        if name != ROW and pc.count_distinct(sample[name]).as_py() * 2 <= sample.num_rows
    ]


def _write_parquet(table: pa.Table, path: str) -> None:
    pq.write_table(
        table,
        path,
        row_group_size=settings.DATASTORE_ROW_GROUP_SIZE,
        compression="snappy",
        write_statistics=True,
        use_dictionary=_dictionary_columns(table),
    )


def write_version(
    table_key: str,
    variants: dict[str, pa.Table],
    *,
    mode: str = "replace",
    base_version: int | None = None,
    note: str = "",
) -> int:
    """Write a new immutable version (one Parquet file per variant) and return its number.

    Files are written to temporary names and renamed into place; the manifest is written last,
    so a version exists only once complete. Any failure removes what was written and leaves
    earlier versions untouched. ``mode="append"``: the new version holds the rows of
    ``base_version`` (default: the active version) followed by the new rows. The version is not
    served by ``active_version`` until ``activate()`` is called.
    """
    if mode not in {"replace", "append"}:
        raise ValidationError.for_field("mode", _("must be replace or append"))
    if not variants or any(v not in VARIANTS for v in variants):
        raise ValidationError.for_field("variants", _("must be raw and/or public tables"))
    _key(table_key)
    storage = get_storage()
    base = None
    if mode == "append":
        base = base_version if base_version is not None else active_version(table_key)
        if base is None:
            raise ValidationError.for_field("base_version", _("append needs an existing version"))
        base_manifest = manifest(table_key, base)
        missing = set(base_manifest["variants"]) ^ set(variants)
        if missing:
            raise ValidationError.for_field(
                "variants", _("append must give the same variants as the base version")
            )
        merged = {}
        for name, new in variants.items():
            old = pq.read_table(storage.path(_file_key(table_key, base, name))).drop_columns([ROW])
            new = new.drop_columns([ROW]) if ROW in new.column_names else new
            if new.column_names != old.column_names:
                raise ValidationError.for_field(
                    "schema",
                    _("appended rows must have the columns of version %(v)d: %(cols)s")
                    % {"v": base, "cols": ", ".join(old.column_names)},
                )
            try:
                new = new.cast(old.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                raise ValidationError.for_field(
                    "schema", _("appended rows do not have the column types of version %(v)d") % {"v": base}
                ) from None
            merged[name] = pa.concat_tables([old, new])
        variants = merged
    number = _reserve_version(table_key)
    temps: list[str] = []
    try:
        info = {}
        jobs = []
        for name, table in variants.items():
            table = _with_row_numbers(table)
            outputs = [(_write_parquet, _file_key(table_key, number, name), ".parquet")]
            if name == "public":  # the raw variant's row cache is built on its first (rare) query
                outputs.append((_write_row_cache, _cache_key(table_key, number, name), ".arrow"))
            for writer, key, suffix in outputs:
                tmp = storage.temp_file(suffix)
                temps.append(tmp)
                jobs.append((writer, table, tmp, key))
            info[name] = {"rows": table.num_rows, "columns": [c for c in table.column_names if c != ROW]}
        # the writers release the GIL: write the files side by side, then rename them in place
        with ThreadPoolExecutor(max_workers=min(len(jobs), settings.DATASTORE_QUERY_THREADS)) as pool:
            for future in [pool.submit(writer, table, tmp) for writer, table, tmp, _key in jobs]:
                future.result()
        for _writer, _table, tmp, key in jobs:
            storage.put(key, tmp)
            temps.remove(tmp)
        body = {
            "version": number,
            "mode": mode,
            "base_version": base,
            "variants": info,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "note": note,
        }
        tmp = storage.temp_file(".json")
        temps.append(tmp)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False)
        storage.put(_manifest_key(table_key, number), tmp)
        temps.remove(tmp)
    except BaseException:
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        storage.delete(_key(table_key, f"v{number}") + "/")
        raise
    storage.delete(_key(table_key, f"v{number}", "reserved"))
    return number


def activate(table_key: str, version: int) -> None:
    """Record ``version`` as the table's active version (atomic rename)."""
    manifest(table_key, version)  # NotFound for an incomplete or unknown version
    storage = get_storage()
    tmp = storage.temp_file(".active")
    with open(tmp, "w") as fh:
        fh.write(str(int(version)))
    storage.put(_key(table_key, "active"), tmp)


def active_version(table_key: str) -> int | None:
    storage = get_storage()
    key = _key(table_key, "active")
    if not storage.exists(key):
        return None
    with storage.open(key) as fh:
        return int(fh.read().strip())


def delete_table(table_key: str) -> None:
    """Remove every version of a table (for a resource that is deleted for good)."""
    get_storage().delete(_key(table_key) + "/")
    clear_caches()


# =============================================================================== query


@dataclass
class QueryResult:
    rows: list[dict]
    total: int | None
    total_is_estimate: bool = False
    next_cursor: str | None = None
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)
    aggregates: list[dict] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)


_local = threading.local()
_con_lock = threading.Lock()
_con: duckdb.DuckDBPyConnection | None = None
_con_pid: int | None = None


def _connection() -> duckdb.DuckDBPyConnection:
    """One DuckDB database per process; each thread gets its own cursor on it."""
    global _con, _con_pid
    pid = os.getpid()
    if _con is None or _con_pid != pid:
        with _con_lock:
            if _con is None or _con_pid != pid:
                con = duckdb.connect(":memory:", config={"threads": settings.DATASTORE_QUERY_THREADS})
                con.execute("SET parquet_metadata_cache = true")
                con.execute("SET enable_object_cache = true")
                con.execute("SET autoinstall_known_extensions = false")
                con.execute("SET preserve_insertion_order = true")
                _con, _con_pid = con, pid
                _local.__dict__.clear()
    cur = getattr(_local, "cursor", None)
    if cur is None or getattr(_local, "owner", None) is not _con:
        cur = _con.cursor()
        _local.cursor, _local.owner = cur, _con
    return cur


def _lit(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=512)
def _file_info(path: str) -> tuple[int, tuple[str, ...], int]:
    meta = pq.read_metadata(path)
    return meta.num_rows, tuple(meta.schema.names), meta.num_row_groups


def _cache_key(table_key: str, version: int, variant: str) -> str:
    return _key(table_key, f"v{int(version)}", f"{variant}.arrow")


@lru_cache(maxsize=64)
def _open_row_cache(path: str) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(path, "r")).read_all()


def _write_row_cache(table: pa.Table, path: str) -> None:
    with pa.ipc.new_file(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=65536)


def _row_cache(table_key: str, version: int, variant: str) -> pa.Table:
    """The version as an uncompressed Arrow IPC file, memory-mapped (pages shared by processes).

    Written next to the Parquet file by write_version; rebuilt from the Parquet file when missing
    (e.g. a node that fetched only the Parquet files from object storage).
    """
    storage = get_storage()
    key = _cache_key(table_key, version, variant)
    if not storage.exists(key):
        tmp = storage.temp_file(".arrow")
        try:
            _write_row_cache(pq.read_table(_source(table_key, version, variant)), tmp)
            storage.put(key, tmp)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return _open_row_cache(storage.path(key))


def _source(table_key: str, version: int, variant: str) -> str:
    storage = get_storage()
    key = _file_key(table_key, version, variant)
    if not storage.exists(_manifest_key(table_key, version)) or not storage.exists(key):
        raise NotFound(_("Version %(v)s of this table does not exist.") % {"v": version})
    return storage.path(key)


def _field_map(schema: dict, columns: Iterable[str]) -> dict[str, dict]:
    fields = check_schema(schema)
    present = set(columns)
    return {f["name"]: f for f in fields if f["name"] in present}


def _known(fields: dict[str, dict], name: Any, what: str) -> dict:
    if not isinstance(name, str) or name not in fields:
        raise ValidationError.for_field(what, _("unknown field %(name)s") % {"name": str(name)[:100]})
    return fields[name]


_TRUE = {"true", "1", "yes", "on", "t", "是"}
_FALSE = {"false", "0", "no", "off", "f", "否"}


def _coerce(fld: dict, value: Any, what: str) -> Any:
    """A filter value converted to the field's type (never spliced into SQL)."""
    typ = fld.get("type", "string")
    if value is None:
        raise ValidationError.for_field(what, _("needs a value"))
    try:
        if typ in {"integer", "year"}:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            result = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
            if abs(result) > 2**63 - 1:
                raise ValueError
            return result
        if typ == "number":
            if isinstance(value, bool):
                raise ValueError
            result = float(value)
            if result != result or result in (float("inf"), float("-inf")):
                raise ValueError
            return result
        if typ == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if typ == "date":
            return (
                value
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime)
                else dt.date.fromisoformat(str(value))
            )
        if typ == "datetime":
            result = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
            return result.replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError.for_field(
            what,
            _("%(value)s is not a valid %(type)s for field %(name)s")
            % {"value": str(value)[:50], "type": typ, "name": fld["name"]},
        ) from None
    if isinstance(value, dict | list | tuple):
        raise ValidationError.for_field(what, _("must be a single value"))
    text = str(value)
    if len(text) > 1000:
        raise ValidationError.for_field(what, _("value is longer than 1000 characters"))
    return text


def _where(fields: dict[str, dict], filters, q: str | None) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
    for item in filters or []:
        if isinstance(item, dict):
            item = (item.get("field"), item.get("op", "eq"), item.get("value"))
        try:
            name, op, value = item
        except (TypeError, ValueError):
            raise ValidationError.for_field("filters", _("each filter is (field, op, value)")) from None
        fld = _known(fields, name, "filters")
        col = _qi(name)
        if fld.get("type") == "any":  # no declared type (export without a schema): compare as text
            col = f"CAST({col} AS VARCHAR)"
        if op not in OPS:
            raise ValidationError.for_field("filters", _("unknown operator %(op)s") % {"op": str(op)[:20]})
        if op == "isnull":
            truth = _coerce(
                {"name": name, "type": "boolean"}, value if value is not None else True, "filters"
            )
            clauses.append(f"{col} IS NULL" if truth else f"{col} IS NOT NULL")
        elif op == "in":
            items = (
                value.split(",")
                if isinstance(value, str)
                else list(value)
                if isinstance(value, list | tuple | set)
                else [value]
            )
            if len(items) > 1000:
                raise ValidationError.for_field("filters", _("in takes at most 1000 values"))
            if not items:
                clauses.append("FALSE")
            else:
                clauses.append(f"{col} IN ({', '.join('?' for _i in items)})")
                params.extend(_coerce(fld, v, "filters") for v in items)
        elif op in {"contains", "startswith"}:
            if isinstance(value, dict | list | tuple) or value is None:
                raise ValidationError.for_field("filters", _("must be a single value"))
            fn = "contains" if op == "contains" else "starts_with"
            clauses.append(f"{fn}(CAST({col} AS VARCHAR), ?)")
            params.append(str(value)[:1000])
        else:
            sql_op = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
            clauses.append(f"{col} {sql_op} ?")
            params.append(_coerce(fld, value, "filters"))
    if q:
        if not isinstance(q, str) or len(q) > 200:
            raise ValidationError.for_field("q", _("must be text of at most 200 characters"))
        # a schema can leave a string column out of q (``"searchable": false``: masked codes, ...)
        texts = [
            n
            for n, f in fields.items()
            if f.get("type", "string") == "string" and f.get("searchable", True) is not False
        ]
        if texts and re.search(r"[A-Za-z]", q):
            # letters have case: ILIKE with the wildcards of the search text escaped
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(" + " OR ".join(f"{_qi(n)} ILIKE ? ESCAPE '\\'" for n in texts) + ")")
            params.extend([pattern] * len(texts))
        elif texts:
            # Chinese, digits, punctuation: no case, a plain substring test is much cheaper
            clauses.append("(" + " OR ".join(f"contains({_qi(n)}, ?)" for n in texts) + ")")
            params.extend([q] * len(texts))
        else:
            clauses.append("FALSE")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def json_value(value: Any) -> Any:
    """A cell as JSON: dates and times as ISO text, decimals as numbers, bytes as base64."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _encode_cursor(payload: dict) -> str:
    return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)


def _decode_cursor(token: str) -> dict:
    try:
        payload = signing.loads(token, salt=_CURSOR_SALT)
        if not isinstance(payload, dict):
            raise ValueError
        return payload
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationError.for_field("after", _("is not a cursor this table issued")) from None


def _keyset(
    order: list[tuple[str, str]], values: list, row: int, fields: dict[str, dict], row_sql: str = '"_row"'
) -> tuple[str, list]:
    """Rows strictly after (values, row) in ``order`` (NULLS LAST both ways) then ``_row`` asc.

    ``row_sql`` is the row-number expression: ``"_row"`` (1-based) or DuckDB's
    ``file_row_number`` (0-based, free to read: no column to decode), hence the ``>=``.
    """
    params: list = []

    def after(i: int) -> str:
        if i == len(order):
            params.append(row)
            return f"{row_sql} > ?" if row_sql == _qi(ROW) else f"{row_sql} >= ?"
        name, direction = order[i]
        col = _qi(name)
        value = values[i]
        if value is None:
            return f"({col} IS NULL AND {after(i + 1)})"
        value = _coerce(fields[name], value, "after")
        cmp = ">" if direction == "asc" else "<"
        params.extend([value])
        head = f"({col} {cmp} ? OR {col} IS NULL"
        params.append(value)
        return f"{head} OR ({col} = ? AND {after(i + 1)}))"

    return after(0), params


def _order_spec(sort, fields: dict[str, dict]) -> list[tuple[str, str]]:
    order = []
    for item in sort or []:
        if isinstance(item, str):
            item = (item[1:], "desc") if item.startswith("-") else (item, "asc")
        try:
            name, direction = item
        except (TypeError, ValueError):
            raise ValidationError.for_field("sort", _("each sort is (field, asc|desc)")) from None
        _known(fields, name, "sort")
        direction = str(direction).lower()
        if direction not in {"asc", "desc"}:
            raise ValidationError.for_field("sort", _("direction must be asc or desc"))
        if name not in [o[0] for o in order]:
            order.append((name, direction))
    if len(order) > 5:
        raise ValidationError.for_field("sort", _("at most 5 sort fields"))
    return order


# The one result cache of datastore queries (core.cache; the compatibility layers use it too).
RESULTS_CACHE = "datastore.results"
RESULTS_TIMEOUT = 3600


def _fetch_cached(cur, sql: str, params: list) -> list:
    """Results of count/facet/aggregate queries through core.cache: the SQL names the immutable
    version files, so a result never goes stale; kept in-process too for the hot facet paths."""
    if not settings.DATASTORE_RESULT_CACHE:
        return cur.execute(sql, params).fetchall()
    key = repr((sql, tuple(params)))  # repr keeps a date apart from its string
    return cache.cached(
        RESULTS_CACHE, key, lambda: cur.execute(sql, params).fetchall(), RESULTS_TIMEOUT, local=True
    )


def clear_caches() -> None:
    """Forget cached results (in every process), file metadata and mapped files (after deleting
    tables)."""
    cache.invalidate(RESULTS_CACHE)
    _file_info.cache_clear()
    _open_row_cache.cache_clear()


def _count(cur, src: str, where: str, params: list, mode: str, num_rows: int) -> tuple[int | None, bool]:
    if mode == "none":
        return None, False
    if mode not in {"exact", "estimate"}:
        raise ValidationError.for_field("count", _("must be exact, estimate or none"))
    if not where:
        return num_rows, False
    if mode == "exact":
        return _fetch_cached(cur, f"SELECT count(*) FROM {src}{where}", params)[0][0], False  # noqa: S608 - identifiers checked and quoted, values bound
    limit = settings.DATASTORE_EXACT_COUNT_LIMIT
    n = _fetch_cached(
        cur,
        f"SELECT count(*) FROM (SELECT 1 FROM {src}{where} LIMIT {int(limit) + 1})",  # noqa: S608 - identifiers checked and quoted, values bound
        params,
    )[0][0]
    if n <= limit:
        return n, False
    percent = 10
    sampled = _fetch_cached(
        cur,
        f"SELECT count(*) FROM (SELECT * FROM {src} USING SAMPLE {percent} PERCENT (system, 42)){where}",  # noqa: S608 - identifiers checked and quoted, values bound
        params,
    )[0][0]
    return max(int(sampled * 100 / percent), limit + 1), True


def query(
    table_key: str,
    version: int,
    variant: str,
    *,
    filters: list | None = None,
    sort: list | None = None,
    fields: list[str] | None = None,
    limit: int = 50,
    after: str | None = None,
    offset: int | None = None,
    q: str | None = None,
    facets: list[str] | None = None,
    facet_size: int = 20,
    group_by: list[str] | str | None = None,
    aggregates: list | None = None,
    count: str = "exact",
    schema: dict,
) -> QueryResult:
    """Rows, totals, facets and aggregates of one version's variant; see docs/datastore.md."""
    path = _source(table_key, version, variant)
    num_rows, columns, _groups = _file_info(path)
    known = _field_map(schema, columns)
    src = f"read_parquet({_lit(path)})"
    max_page = settings.DATASTORE_MAX_PAGE_SIZE
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0 or limit > max_page:
        raise ValidationError.for_field("limit", _("must be between 0 and %(max)d") % {"max": max_page})
    if offset is not None and (
        isinstance(offset, bool) or not isinstance(offset, int) or offset < 0 or offset > 10**9
    ):
        raise ValidationError.for_field("offset", _("must be a whole number from 0"))
    if after and offset:
        raise ValidationError.for_field("after", _("cannot be combined with offset"))
    selected = list(known) if fields is None else fields
    if not isinstance(selected, list | tuple):
        raise ValidationError.for_field("fields", _("must be a list of field names"))
    for name in selected:
        _known(known, name, "fields")
    order = _order_spec(sort, known)
    where, params = _where(known, filters, q)
    cur = _connection()
    result = QueryResult(rows=[], total=None, fields=[known[n] for n in selected])

    # rows: phase 1 finds the page's row numbers (DuckDB reads only the filter and sort
    # columns); phase 2 takes those rows by position from the memory-mapped Arrow copy.
    if limit:
        if "file_row_number" in columns:
            row_src, row_sql = src, _qi(ROW)
        else:
            row_src, row_sql = f"read_parquet({_lit(path)}, file_row_number=true)", "file_row_number"
        start_after = None
        conditions, cond_params = [], []
        if after:
            payload = _decode_cursor(after)
            if payload.get("t") != table_key or payload.get("o") != [list(o) for o in order]:
                raise ValidationError.for_field("after", _("belongs to another table or sort order"))
            values = payload.get("k") or []
            if (
                len(values) != len(order)
                or not isinstance(payload.get("r"), int)
                or isinstance(payload.get("r"), bool)
            ):
                raise ValidationError.for_field("after", _("is not a cursor this table issued"))
            start_after = payload["r"]
            cond, cond_params = _keyset(order, values, payload["r"], known, row_sql)
            conditions.append(cond)
        if not where and not order:
            # table order, no filter: row numbers are positions, no scan needed
            first = (start_after or 0) + (offset or 0)
            page = [(r,) for r in range(first + 1, min(first + limit + 1, num_rows) + 1)]
            names = [ROW]
        else:
            full_where = where
            if conditions:
                full_where = (where + " AND " if where else " WHERE ") + " AND ".join(conditions)
            row_out = _qi(ROW) if row_sql == _qi(ROW) else f"{row_sql} + 1 AS {_qi(ROW)}"
            cols = ", ".join([_qi(n) for n, _d in order] + [row_out])
            if order:
                order_sql = ", ".join(f"{_qi(n)} {d.upper()} NULLS LAST" for n, d in order)
                order_sql = f" ORDER BY {order_sql}, {row_sql} ASC"
            else:
                # file order: DuckDB preserves insertion order (preserve_insertion_order is on),
                # so the scan can stop at the limit instead of sorting every match
                order_sql = ""
            sql = f"SELECT {cols} FROM {row_src}{full_where}{order_sql} LIMIT {int(limit) + 1}"  # noqa: S608 - identifiers checked and quoted, values bound
            if offset:
                sql += f" OFFSET {int(offset)}"
            cursor = cur.execute(sql, params + cond_params)
            names = [d[0] for d in cursor.description]
            page = cursor.fetchall()
        more = len(page) > limit
        page = page[:limit]
        rowcache = _row_cache(table_key, version, variant)
        columns_ = {n: rowcache.column(n) for n in selected}
        for key_row in page:
            index = key_row[-1] - 1
            result.rows.append({n: json_value(col[index].as_py()) for n, col in columns_.items()})
        if more and page:
            last = dict(zip(names, page[-1], strict=True))
            result.next_cursor = _encode_cursor(
                {
                    "t": table_key,
                    "o": [list(o) for o in order],
                    "k": [json_value(last[n]) for n, _d in order],
                    "r": last[ROW],
                }
            )

    result.total, result.total_is_estimate = _count(cur, src, where, params, count, num_rows)

    # facets
    if facets:
        if len(facets) > 10:
            raise ValidationError.for_field("facets", _("at most 10 facets"))
        if not isinstance(facet_size, int) or not 1 <= facet_size <= 1000:
            raise ValidationError.for_field("facet_size", _("must be between 1 and 1000"))
        for name in facets:
            _known(known, name, "facets")
            col = _qi(name)
            rows = _fetch_cached(
                cur,
                f"SELECT {col}, count(*) AS n FROM {src}{where} GROUP BY {col} ORDER BY n DESC, {col} NULLS LAST LIMIT {int(facet_size)}",  # noqa: S608 - identifiers checked and quoted, values bound
                params,
            )
            result.facets[name] = [(json_value(v), n) for v, n in rows]

    # group-by aggregates
    if aggregates or group_by:
        groups = [group_by] if isinstance(group_by, str) else list(group_by or [])
        if len(groups) > 5:
            raise ValidationError.for_field("group_by", _("at most 5 fields"))
        for name in groups:
            _known(known, name, "group_by")
        exprs, labels = [], []
        for item in aggregates or [("count", "*")]:
            try:
                op, name = item
            except (TypeError, ValueError):
                raise ValidationError.for_field("aggregates", _("each aggregate is (op, field)")) from None
            if op not in AGG_OPS:
                raise ValidationError.for_field(
                    "aggregates", _("unknown aggregate %(op)s") % {"op": str(op)[:20]}
                )
            if op == "count" and name in (None, "*"):
                exprs.append("count(*)")
                labels.append("count")
                continue
            fld = _known(known, name, "aggregates")
            if op in {"sum", "avg"} and fld.get("type") not in NUMERIC:
                raise ValidationError.for_field(
                    "aggregates", _("%(op)s needs a numeric field, not %(name)s") % {"op": op, "name": name}
                )
            exprs.append(f"{op}({_qi(name)})")
            labels.append(f"{op}_{name}")
        group_sql = ", ".join(_qi(g) for g in groups)
        select = ", ".join(
            [_qi(g) for g in groups]
            + [f"{e} AS {_qi(label)}" for e, label in zip(exprs, labels, strict=True)]
        )
        sql = f"SELECT {select} FROM {src}{where}"  # noqa: S608 - identifiers checked and quoted, values bound
        if groups:
            sql += f" GROUP BY {group_sql} ORDER BY {group_sql} NULLS LAST LIMIT {int(max_page)}"
        rows = _fetch_cached(cur, sql, params)
        keys = groups + labels
        result.aggregates = [{k: json_value(v) for k, v in zip(keys, row, strict=True)} for row in rows]
    return result


# =============================================================================== ad-hoc SQL


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
    path = _source(table_key, version, variant)
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
        con.execute(f"SET allowed_paths = [{_lit(path)}]")
        con.execute(f"CREATE VIEW data AS SELECT * EXCLUDE ({_qi(ROW)}) FROM read_parquet({_lit(path)})")  # noqa: S608 - identifiers checked and quoted, values bound
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


# =============================================================================== export

_FORMULA = r"^[=+\-@\t\r]"


def neutralize(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading single quote (OWASP)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _neutralize_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = []
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.fill_null(pc.match_substring_regex(col, _FORMULA), False)
            if pc.any(risky).as_py():
                col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _export_reader(
    table_key, version, variant, filters, fields, sort, q, schema, batch_rows
) -> pa.RecordBatchReader:
    path = _source(table_key, version, variant)
    _n, columns, _g = _file_info(path)
    if schema is None:
        schema = {"fields": [{"name": c, "type": "any"} for c in columns if c != ROW]}
    known = _field_map(schema, columns)
    selected = list(known) if fields is None else list(fields)
    for name in selected:
        _known(known, name, "fields")
    where, params = _where(known, filters, q)
    order = _order_spec(sort, known)
    order_sql = ", ".join([f"{_qi(n)} {d.upper()} NULLS LAST" for n, d in order] + [_qi(ROW)])
    cols = ", ".join(_qi(n) for n in selected)
    sql = f"SELECT {cols} FROM read_parquet({_lit(path)}){where} ORDER BY {order_sql}"  # noqa: S608 - identifiers checked and quoted, values bound
    # a cursor of its own: the stream may outlive other queries of this thread
    cur = _connection().cursor()
    return cur.sql(sql, params=params).to_arrow_reader(batch_rows)


def export(
    table_key: str,
    version: int,
    variant: str,
    fmt: str,
    *,
    filters: list | None = None,
    fields: list[str] | None = None,
    sort: list | None = None,
    q: str | None = None,
    schema: dict | None = None,
    batch_rows: int = 50_000,
) -> Iterator[bytes]:
    """Stream one version's variant as CSV (UTF-8 with BOM), XLSX, JSON or Parquet bytes.

    CSV and XLSX cells starting with = + - @ tab or CR get a leading single quote. Without
    ``schema`` every column of the file is exported (filters then compare as text).
    """
    if fmt not in {"csv", "xlsx", "json", "parquet"}:
        raise ValidationError.for_field("format", _("must be csv, xlsx, json or parquet"))
    reader = _export_reader(table_key, version, variant, filters, fields, sort, q, schema, batch_rows)
    if fmt == "csv":
        return _csv_stream(reader)
    if fmt == "json":
        return _json_stream(reader)
    if fmt == "parquet":
        return _parquet_stream(reader)
    return _xlsx_stream(reader)


def _csv_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    import pyarrow.csv as pcsv

    yield b"\xef\xbb\xbf"
    sink = io.BytesIO()
    writer = pcsv.CSVWriter(sink, reader.schema)
    for batch in reader:
        writer.write_batch(_neutralize_batch(batch))
        yield sink.getvalue()
        sink.seek(0)
        sink.truncate()
    writer.close()
    tail = sink.getvalue()
    if tail:
        yield tail


def _json_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    yield b"["
    first = True
    for batch in reader:
        parts = []
        for row in batch.to_pylist():
            text = json.dumps({k: json_value(v) for k, v in row.items()}, ensure_ascii=False)
            parts.append(text if first else "," + text)
            first = False
        if parts:
            yield "\n".join(parts).encode()
    yield b"]\n"


def _chunks_of_file(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk
    finally:
        os.unlink(path)


def _parquet_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    tmp = get_storage().temp_file(".parquet")
    try:
        with pq.ParquetWriter(tmp, reader.schema, compression="snappy") as writer:
            for batch in reader:
                writer.write_batch(batch)
    except BaseException:
        os.unlink(tmp)
        raise
    return _chunks_of_file(tmp)


def _xlsx_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    from openpyxl import Workbook

    tmp = get_storage().temp_file(".xlsx")
    try:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("data")
        ws.append(list(reader.schema.names))
        written = 0
        for batch in reader:
            for row in batch.to_pylist():
                if written >= 1_048_575:
                    raise ValidationError.for_field(
                        "format", _("XLSX holds at most 1048575 rows; use CSV or Parquet")
                    )
                ws.append([_xlsx_value(v) for v in row.values()])
                written += 1
        wb.save(tmp)
    except BaseException:
        os.unlink(tmp)
        raise
    return _chunks_of_file(tmp)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        value = neutralize(value)
        # characters XML cannot hold (openpyxl would raise IllegalCharacterError)
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def arrow_type(field_type: str) -> pa.DataType:
    """The Arrow type a schema field type is stored as."""
    return ARROW_TYPES.get(field_type, pa.string())
