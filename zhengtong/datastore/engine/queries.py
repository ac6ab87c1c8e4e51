"""query(): rows, totals, facets and aggregates of one version's variant, on the process's DuckDB
database (see docs/datastore.md for the query contract)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine.compiler import (
    AGG_OPS,
    FACET_KINDS,
    NUMERIC,
    array_sql,
    date_sql,
    decode_cursor,
    encode_cursor,
    field_map,
    json_value,
    keyset,
    known_field,
    lit,
    order_spec,
    parse_filters,
    qi,
    searchable_fields,
    where_sql,
)
from zhengtong.datastore.engine.results import fetch_cached
from zhengtong.datastore.engine.rowfiles import take_rows
from zhengtong.datastore.engine.rowindex import Unsupported
from zhengtong.datastore.engine.serving import IndexAnswer, index_answer
from zhengtong.datastore.engine.store import ROW, file_info, row_cache, source_path, structures


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
    # which engine found the rows ("index": row index / text index; "duckdb": a scan) and how the
    # total was obtained: "index" (exact, same pass as the page), "footer" (exact, Parquet
    # metadata), "scan" (exact, DuckDB count), "sample" (estimate: 10 % system sample, then
    # total_is_estimate is True) or None (count="none")
    engine: str = "duckdb"
    count_method: str | None = None
    # rows ordered by search relevance (q without sort, text index: bm25, or the shortest match)
    ranked: bool = False


ROW_SQL = qi(ROW)
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
    ``ROW`` (CKAN's ``_id``, Datasette's ``rowid``). Filters may name ``ROW`` (an integer: eq,
    ne, gt, gte, lt, lte, in). ``facets``: field names, or (kind, name) with a kind of
    ``FACET_KINDS``; ``result.facets`` is keyed by the name, or ``"kind:name"``."""
    path = source_path(table_key, version, variant)
    num_rows, columns, _groups = file_info(path)
    known = field_map(schema, columns)
    src = f"read_parquet({lit(path)})"
    row_expr = ROW_SQL
    if ROW not in columns:  # a file written before "_row" was stored: the row's position
        src = f"read_parquet({lit(path)}, file_row_number=true)"
        row_expr = "(file_row_number + 1)"
    filter_fields = known
    if any(_filter_name(item) == ROW for item in filters or []):
        filter_fields = {**known, ROW: {"name": ROW, "type": "integer", "expr": row_expr}}
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
    where, params = where_sql(filter_fields, filters, q)
    if count not in {"exact", "estimate", "none"}:
        raise ValidationError.for_field("count", _("must be exact, estimate or none"))
    payload = decode_cursor(after) if after else None
    if payload is not None:
        expected = "rank" if (q and not order) else [list(o) for o in order]
        if payload.get("t") != table_key or payload.get("o") not in (expected, [list(o) for o in order]):
            raise ValidationError.for_field("after", _("belongs to another table or sort order"))
        if payload.get("o") == "rank" and payload.get("q") != q:
            raise ValidationError.for_field("after", _("belongs to another search"))
    result = QueryResult(rows=[], total=None, fields=[known[n] for n in selected])

    # the row and text indexes of a published variant answer what they can exactly (docs:
    # "Choosing the engine"); anything else, and versions without them, go to DuckDB
    served = structures(table_key, version, variant)
    answer: IndexAnswer | None = None
    if served is not None:
        try:
            answer = index_answer(
                served,
                parse_filters(filter_fields, filters),
                q or None,
                searchable_fields(known),
                order,
                limit=limit,
                offset=offset or 0,
                cursor=payload,
                count=count != "none",
                rows=row_cache(table_key, version, variant) if q else None,
            )
        except (Unsupported, LookupError):
            answer = None
    if answer is not None:
        return _from_index(
            result, answer, table_key, version, variant, selected, order, q, facets, facet_size, known,
            group_by=group_by, aggregates=aggregates, src=src, where=where, params=params,
            row_numbers=row_numbers, row_expr=row_expr,
        )  # fmt: skip
    cur = connection()
    if payload is not None and payload.get("o") == "rank":  # a relevance cursor on a version without
        payload = None  # a text index: continue by position
        offset = after_offset = payload_offset(after)
        after = None
    else:
        after_offset = None

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
            if payload.get("o") != [list(o) for o in order]:
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

        if more and page and after_offset is not None:
            result.next_cursor = encode_cursor(
                {"t": table_key, "o": "rank", "q": q, "n": after_offset + limit}
            )

    result.total, result.total_is_estimate = _count(cur, src, where, params, count, num_rows)
    result.count_method = (
        None
        if count == "none"
        else "footer"
        if not where
        else "sample"
        if result.total_is_estimate
        else "scan"
    )
    _facets_and_aggregates(
        result, known, facets, facet_size, group_by, aggregates, src, where, params, row_expr=row_expr
    )
    return result


_PLAIN = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_floating)


def page_rows(rowcache, selected: list[str], positions) -> list[dict]:
    """The rows at ``positions`` of the memory-mapped Arrow copy as JSON-ready dicts, taken from
    the record batches they fall in only (``rowfiles.take_rows``); ``json_value`` only on columns
    whose values need it."""
    table = rowcache.select(selected)
    other = [n for n in selected if not any(test(table.schema.field(n).type) for test in _PLAIN)]
    rows = take_rows(table, positions).to_pylist()
    for row in rows:
        for n in other:
            row[n] = json_value(row[n])
    return rows


def _filter_name(item) -> object:
    if isinstance(item, dict):
        return item.get("field")
    return item[0] if isinstance(item, list | tuple) and item else None


def facet_key(item) -> str:
    """The ``result.facets`` key of a facet request: the name, or "kind:name"."""
    kind, name = _facet_item(item)
    return name if kind == "column" else f"{kind}:{name}"


def _facet_item(item) -> tuple[str, str]:
    if isinstance(item, str):
        return "column", item
    try:
        kind, name = item
    except (TypeError, ValueError):
        raise ValidationError.for_field("facets", _("each facet is a field or (kind, field)")) from None
    if kind not in FACET_KINDS:
        raise ValidationError.for_field("facets", _("unknown facet kind %(kind)s") % {"kind": str(kind)[:20]})
    return kind, name


def payload_offset(after: str) -> int:
    """The position a relevance cursor continues from."""
    n = decode_cursor(after).get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValidationError.for_field("after", _("is not a cursor this table issued"))
    return n


def _from_index(
    result, answer, table_key, version, variant, selected, order, q, facets, facet_size, known, *,
    group_by, aggregates, src, where, params, row_numbers=False, row_expr=ROW_SQL,
) -> QueryResult:  # fmt: skip
    """A QueryResult from the index's page positions, total and facets (aggregates: DuckDB).
    ``row_numbers``: each row carries its row number (position + 1) under ``ROW``, as on DuckDB."""
    result.engine = "index"
    result.ranked = answer.ranked
    result.total = answer.total
    result.count_method = None if answer.total is None else "index"
    positions = answer.positions
    if len(positions):
        rowcache = row_cache(table_key, version, variant)
        result.rows = page_rows(rowcache, selected, positions)
        if row_numbers:
            for row, index in zip(result.rows, positions.tolist(), strict=True):
                row[ROW] = index + 1
        if answer.more:
            last = int(positions[-1])
            if answer.ranked:
                result.next_cursor = encode_cursor(
                    {"t": table_key, "o": "rank", "q": q, "n": answer.next_offset}
                )
            else:
                values = [json_value(rowcache.column(n)[last].as_py()) for n, _d in order]
                result.next_cursor = encode_cursor(
                    {"t": table_key, "o": [list(o) for o in order], "k": values, "r": last + 1}
                )
    _facets_and_aggregates(
        result, known, facets, facet_size, group_by, aggregates, src, where, params, answer=answer,
        row_expr=row_expr,
    )  # fmt: skip
    return result


def _facets_and_aggregates(
    result, known, facets, facet_size, group_by, aggregates, src, where, params, answer=None,
    row_expr=ROW_SQL,
) -> None:  # fmt: skip
    cur = None
    # facets
    if facets:
        if len(facets) > 10:
            raise ValidationError.for_field("facets", _("at most 10 facets"))
        if not isinstance(facet_size, int) or not 1 <= facet_size <= 1000:
            raise ValidationError.for_field("facet_size", _("must be between 1 and 1000"))
        for item in facets:
            kind, name = _facet_item(item)
            known_field(known, name, "facets")
            key = facet_key(item)
            indexed = answer is not None and (
                kind == "column"
                or (kind == "date" and getattr(answer.index.columns.get(name), "kind", None) == "date")
            )
            if indexed:
                try:
                    entries = [(json_value(v), n) for v, n in answer.facet(name, facet_size + 1)]
                    if kind == "date":
                        entries = [e for e in entries if e[0] is not None]
                    result.facets[key] = entries[:facet_size]
                    continue
                except Unsupported:
                    pass
            cur = cur or connection()
            col = qi(name)
            if kind == "column":
                sql = f"SELECT {col}, count(*) AS n FROM {src}{where} GROUP BY {col} ORDER BY n DESC, {col} NULLS LAST LIMIT {int(facet_size)}"  # noqa: S608 - identifiers checked and quoted, values bound
            elif kind == "date":
                # Datasette: date(col), nulls left out, count desc then value
                day = date_sql(col)
                cond = (" AND " if where else " WHERE ") + f"{day} IS NOT NULL"
                sql = f"SELECT {day} AS v, count(*) AS n FROM {src}{where}{cond} GROUP BY v ORDER BY n DESC, v LIMIT {int(facet_size)}"  # noqa: S608 - identifiers checked and quoted, values bound
            else:
                # Datasette: each distinct item of a row's JSON array counts once for that row
                inner = f"SELECT DISTINCT {row_expr} AS r, unnest({array_sql(col)}) AS v FROM {src}{where}"  # noqa: S608 - identifiers checked and quoted, values bound
                sql = f"SELECT v, count(*) AS n FROM ({inner}) WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {int(facet_size)}"  # noqa: S608 - identifiers checked and quoted, values bound
            rows = fetch_cached(cur, sql, params)
            result.facets[key] = [(json_value(v), n) for v, n in rows]

    # group-by aggregates
    max_page = settings.DATASTORE_MAX_PAGE_SIZE
    if aggregates or group_by:
        cur = cur or connection()
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
