"""query(): rows, totals, facets and aggregates of one version's variant, on the process's DuckDB
database (see docs/datastore.md for the query contract)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb
from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine.compiler import (
    AGG_OPS,
    NUMERIC,
    decode_cursor,
    encode_cursor,
    field_map,
    json_value,
    keyset,
    known_field,
    lit,
    order_spec,
    qi,
    where_sql,
)
from zhengtong.datastore.engine.results import fetch_cached
from zhengtong.datastore.engine.store import ROW, file_info, row_cache, source_path


@dataclass
class QueryResult:
    """One page of rows with its total, next cursor, facets and aggregates."""

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


def connection() -> duckdb.DuckDBPyConnection:
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


def _count(cur, src: str, where: str, params: list, mode: str, num_rows: int) -> tuple[int | None, bool]:
    if mode == "none":
        return None, False
    if mode not in {"exact", "estimate"}:
        raise ValidationError.for_field("count", _("must be exact, estimate or none"))
    if not where:
        return num_rows, False
    if mode == "exact":
        return fetch_cached(cur, f"SELECT count(*) FROM {src}{where}", params)[0][0], False  # noqa: S608 - identifiers checked and quoted, values bound
    limit = settings.DATASTORE_EXACT_COUNT_LIMIT
    n = fetch_cached(
        cur,
        f"SELECT count(*) FROM (SELECT 1 FROM {src}{where} LIMIT {int(limit) + 1})",  # noqa: S608 - identifiers checked and quoted, values bound
        params,
    )[0][0]
    if n <= limit:
        return n, False
    percent = 10
    sampled = fetch_cached(
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
    row_numbers: bool = False,
) -> QueryResult:
    """Rows, totals, facets and aggregates of one version's variant; see docs/datastore.md.
    ``row_numbers``: each row also carries its row number (1..N, the stored ``_row``) under
    ``ROW`` (CKAN's ``_id``, Datasette's ``rowid``)."""
    path = source_path(table_key, version, variant)
    num_rows, columns, _groups = file_info(path)
    known = field_map(schema, columns)
    src = f"read_parquet({lit(path)})"
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
        known_field(known, name, "fields")
    order = order_spec(sort, known)
    where, params = where_sql(known, filters, q)
    cur = connection()
    result = QueryResult(rows=[], total=None, fields=[known[n] for n in selected])

    # rows: phase 1 finds the page's row numbers (DuckDB reads only the filter and sort
    # columns); phase 2 takes those rows by position from the memory-mapped Arrow copy.
    if limit:
        if "file_row_number" in columns:
            row_src, row_sql = src, qi(ROW)
        else:
            row_src, row_sql = f"read_parquet({lit(path)}, file_row_number=true)", "file_row_number"
        start_after = None
        conditions, cond_params = [], []
        if after:
            payload = decode_cursor(after)
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
            cond, cond_params = keyset(order, values, payload["r"], known, row_sql)
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
            row_out = qi(ROW) if row_sql == qi(ROW) else f"{row_sql} + 1 AS {qi(ROW)}"
            cols = ", ".join([qi(n) for n, _d in order] + [row_out])
            if order:
                order_sql = ", ".join(f"{qi(n)} {d.upper()} NULLS LAST" for n, d in order)
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
        rowcache = row_cache(table_key, version, variant)
        columns_ = {n: rowcache.column(n) for n in selected}
        for key_row in page:
            index = key_row[-1] - 1
            row = {n: json_value(col[index].as_py()) for n, col in columns_.items()}
            if row_numbers:
                row[ROW] = key_row[-1]
            result.rows.append(row)
        if more and page:
            last = dict(zip(names, page[-1], strict=True))
            result.next_cursor = encode_cursor(
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
            known_field(known, name, "facets")
            col = qi(name)
            rows = fetch_cached(
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
            known_field(known, name, "group_by")
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
            fld = known_field(known, name, "aggregates")
            if op in {"sum", "avg"} and fld.get("type") not in NUMERIC:
                raise ValidationError.for_field(
                    "aggregates", _("%(op)s needs a numeric field, not %(name)s") % {"op": op, "name": name}
                )
            exprs.append(f"{op}({qi(name)})")
            labels.append(f"{op}_{name}")
        group_sql = ", ".join(qi(g) for g in groups)
        select = ", ".join(
            [qi(g) for g in groups] + [f"{e} AS {qi(label)}" for e, label in zip(exprs, labels, strict=True)]
        )
        sql = f"SELECT {select} FROM {src}{where}"  # noqa: S608 - identifiers checked and quoted, values bound
        if groups:
            sql += f" GROUP BY {group_sql} ORDER BY {group_sql} NULLS LAST LIMIT {int(max_page)}"
        rows = fetch_cached(cur, sql, params)
        keys = groups + labels
        result.aggregates = [{k: json_value(v) for k, v in zip(keys, row, strict=True)} for row in rows]
    return result
