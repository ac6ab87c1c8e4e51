"""The row index: per published variant, every orderable column as dense, order-preserving codes.

Built once when a version is written (``build``), read memory-mapped (``load``). For each indexed
column the distinct non-null values are sorted (byte order for text, as DuckDB compares) and each
row holds its value's position in that list (``int32``; null = the number of distinct values, so
it sorts last). Every filter operator the APIs accept then becomes a comparison of small integers
over one array (``eq``/``gt``/... are a binary search in the sorted values, ``in``/``contains``/
``startswith`` a lookup table over the distinct values), a sort is an ``argpartition`` of an
``int64`` key built from the codes and the row number (ties broken by ``_row``, nulls last in both
directions), the total is the number of matching rows of the same pass, and facets are a
``bincount`` of the codes. Anything the index cannot answer exactly returns ``None`` and the
caller uses DuckDB (see docs/datastore.md, "Choosing the engine").

Files (``<variant>.idx.arrow``: one int32 column per indexed field, N rows; ``<variant>.keys.arrow``:
the sorted distinct values, padded with nulls to the longest list) are uncompressed Arrow IPC, so
the operating system shares their pages between worker processes.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FORMAT = 1
ROW = "_row"  # the stored row number (store.ROW; store imports this module)
_INT64_LIMIT = 2**62


@dataclass
class Column:
    codes: np.ndarray  # int32 per row; null = n
    uniques: np.ndarray  # sorted distinct values (numpy: object for text, datetime64 for dates)
    n: int  # number of distinct non-null values
    kind: str  # "text", "number", "bool", "date", "datetime"
    values: pa.Array  # the sorted distinct values as Arrow (json values, substring tests)
    # (row positions grouped by code, ascending within each; where each code's run starts), made
    # on first use by a file-order page (``_postings``) and kept as long as the mapped index
    postings: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(eq=False)  # hashed by identity: one per mapped file
class RowIndex:
    rows: int
    columns: dict[str, Column]


def _kind(typ: pa.DataType) -> str | None:
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return "text"
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        return "number"
    if pa.types.is_boolean(typ):
        return "bool"
    if pa.types.is_date(typ):
        return "date"
    if pa.types.is_timestamp(typ):
        return "datetime"
    return None


def indexable(table: pa.Table, max_text_distinct: int) -> dict[str, pa.Array]:
    """The columns worth indexing and their sorted distinct values: every number, boolean, date
    and timestamp column, and text columns with at most ``max_text_distinct`` distinct values
    (districts, statuses, codes of a classification; not names or addresses)."""
    chosen = {}
    for name in table.column_names:
        if name == "_row":
            continue
        column = table.column(name)
        kind = _kind(column.type)
        if kind is None:
            continue
        if kind == "text" and len(column) > 2 * max_text_distinct + 1:
            # names, IDs, addresses: too many distinct values already in the first rows (the
            # same answer as counting them all, for a tenth of the hashing at 1,000,000 rows)
            head = column.slice(0, 2 * max_text_distinct + 1)
            if pc.count_distinct(head).as_py() > max_text_distinct:
                continue
        uniques = pc.unique(column).drop_null()
        if kind == "text" and len(uniques) > max_text_distinct:
            continue
        if kind == "number" and pa.types.is_floating(column.type) and pc.any(pc.is_nan(uniques)).as_py():
            continue  # NaN orders differently in DuckDB: leave such a column to it
        chosen[name] = uniques.take(pc.array_sort_indices(uniques))
    return chosen


def build(
    table: pa.Table, index_path: str, keys_path: str, *, max_text_distinct: int, chosen: dict | None = None
) -> list[str]:
    """Write the index files of ``table`` (the variant as stored, without or with ``_row``);
    ``chosen``: ``indexable``'s answer when the caller has it."""
    if chosen is None:
        chosen = indexable(table, max_text_distinct)
    codes, meta = {}, {}
    for name, uniques in chosen.items():
        column = table.column(name)
        positions = pc.index_in(column, value_set=uniques).fill_null(len(uniques))
        codes[name] = positions.cast(pa.int32()).combine_chunks()
        meta[name] = {"n": len(uniques), "type": str(column.type)}
    schema_meta = {b"zhengtong.rowindex": json.dumps({"format": FORMAT, "columns": meta}).encode()}
    index_table = pa.table(codes) if codes else pa.table({"_none": pa.nulls(table.num_rows, pa.int32())})
    index_table = index_table.replace_schema_metadata(schema_meta)
    with pa.ipc.new_file(index_path, index_table.schema) as writer:
        writer.write_table(index_table, max_chunksize=max(1, table.num_rows))
    longest = max([len(u) for u in chosen.values()], default=0)
    padded = {
        name: pa.concat_arrays([u, pa.nulls(longest - len(u), u.type)]) if len(u) < longest else u
        for name, u in chosen.items()
    } or {"_none": pa.nulls(0, pa.int32())}
    keys_table = pa.table(padded).replace_schema_metadata(schema_meta)
    with pa.ipc.new_file(keys_path, keys_table.schema) as writer:
        writer.write_table(keys_table, max_chunksize=max(1, longest))
    return list(chosen)


@lru_cache(maxsize=64)
def load(index_path: str, keys_path: str) -> RowIndex:
    index_table = pa.ipc.open_file(pa.memory_map(index_path, "r")).read_all()
    keys_table = pa.ipc.open_file(pa.memory_map(keys_path, "r")).read_all()
    meta = json.loads(index_table.schema.metadata[b"zhengtong.rowindex"])
    columns = {}
    for name, info in meta["columns"].items():
        n = info["n"]
        values = keys_table.column(name).combine_chunks().slice(0, n)
        kind = _kind(values.type)
        chunks = index_table.column(name).chunks
        codes = chunks[0].to_numpy() if len(chunks) == 1 else index_table.column(name).to_numpy()
        if kind == "text":
            uniques = np.array(values.to_pylist(), dtype=object)
        else:
            uniques = values.to_numpy(zero_copy_only=False)
        columns[name] = Column(codes=codes, uniques=uniques, n=n, kind=kind, values=values)
    return RowIndex(rows=index_table.num_rows, columns=columns)


def take_rows(table: pa.Table | pa.ChunkedArray, positions: np.ndarray) -> pa.Table | pa.Array:
    """``positions`` (0-based, any order) of a memory-mapped table or column, reading only the
    record batches they fall in (``take`` on the whole chunked file touches every batch)."""
    positions = np.asarray(positions, dtype=np.int64)
    chunks = table.to_batches() if isinstance(table, pa.Table) else table.chunks
    if not len(positions) or not chunks:
        return table.slice(0, 0)
    if len(chunks) == 1:
        return chunks[0].take(pa.array(positions))
    starts = np.cumsum([0] + [len(c) for c in chunks])
    which = np.searchsorted(starts, positions, side="right") - 1
    order = np.argsort(which, kind="stable")
    ordered, owners = positions[order], which[order]
    bounds = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1], True])
    parts = [
        chunks[owners[a]].take(pa.array(ordered[a:b] - starts[owners[a]]))
        for a, b in zip(bounds[:-1], bounds[1:], strict=False)
    ]
    taken = pa.Table.from_batches(parts) if isinstance(table, pa.Table) else pa.concat_arrays(parts)
    if np.any(order[1:] < order[:-1]):
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        taken = taken.take(pa.array(inverse))
    return taken


# ---------------------------------------------------------------------------------------- queries


class Unsupported(Exception):
    """The index cannot answer this query exactly: use DuckDB."""


def _scalar(col: Column, value):
    """A coerced filter value in the type of the column's sorted values."""
    if value is None:
        raise Unsupported
    if col.kind == "text":
        if not isinstance(value, str):
            raise Unsupported
        return value
    if col.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Unsupported
        return value
    if col.kind == "bool":
        if not isinstance(value, bool):
            raise Unsupported
        return value
    if col.kind == "date":
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise Unsupported
        return np.datetime64(value, "D").astype(col.uniques.dtype)
    if col.kind == "datetime":
        if not isinstance(value, dt.datetime):
            raise Unsupported
        return np.datetime64(value.replace(tzinfo=None), "us").astype(col.uniques.dtype)
    raise Unsupported


def _bounds(col: Column, value) -> tuple[int, int]:
    """(first position >= value, first position > value) in the sorted distinct values."""
    v = _scalar(col, value)
    if col.n == 0:
        return 0, 0
    if col.kind == "number" and isinstance(v, int) and col.uniques.dtype.kind == "f" and abs(v) > 2**53:
        raise Unsupported  # a float64 cannot tell such integers apart: leave it to DuckDB
    return int(np.searchsorted(col.uniques, v, "left")), int(np.searchsorted(col.uniques, v, "right"))


def _allowed_test(col: Column, allowed: np.ndarray):
    """A test of codes against ``allowed`` (bool per distinct value; null never passes). Values
    a prefix or a single value selects are one run of the sorted codes: two comparisons then,
    not a gather through a lookup table (an eighth of the time on a million rows)."""
    chosen = np.flatnonzero(allowed)
    if len(chosen) == 0:
        return lambda codes: np.zeros(len(codes), dtype=bool)
    lo, hi = int(chosen[0]), int(chosen[-1]) + 1
    if hi - lo == len(chosen):
        if hi - lo == 1:
            return lambda codes: codes == lo
        return lambda codes: (codes >= lo) & (codes < hi)
    lookup = np.zeros(col.n + 1, dtype=bool)
    lookup[: col.n] = allowed
    return lambda codes: lookup[codes]


def _test(col: Column, op: str, value):
    """One filter on one column as a test over (a slice of) its codes."""
    n = col.n
    if op == "isnull":
        return (lambda codes: codes == n) if value else (lambda codes: codes < n)
    if op == "in":
        allowed = np.zeros(n, dtype=bool)
        for item in value:
            lo, hi = _bounds(col, item)
            allowed[lo:hi] = True
        return _allowed_test(col, allowed)
    if op in {"contains", "startswith"}:
        if col.kind != "text":
            raise Unsupported  # the text form of numbers and dates is DuckDB's
        fn = pc.match_substring if op == "contains" else pc.starts_with
        allowed = fn(col.values, pattern=value).to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
        return _allowed_test(col, allowed.astype(bool))
    lo, hi = _bounds(col, value)
    if op == "eq":
        return (lambda codes: codes == lo) if hi > lo else (lambda codes: np.zeros(len(codes), dtype=bool))
    if op == "ne":
        return (lambda codes: (codes != lo) & (codes < n)) if hi > lo else (lambda codes: codes < n)
    if op == "gt":
        return lambda codes: (codes >= hi) & (codes < n)
    if op == "gte":
        return lambda codes: (codes >= lo) & (codes < n)
    if op == "lt":
        return lambda codes: codes < lo
    if op == "lte":
        return lambda codes: codes < hi
    raise Unsupported


def _tests(index: RowIndex, parsed: list[tuple[str, str, object]]) -> list:
    """Every (field, op, coerced value) filter as (column name, test); ROW's test takes row numbers."""
    tests = []
    for name, op, value in parsed:
        if name == ROW:
            tests.append((ROW, _row_test(op, value)))
            continue
        col = index.columns.get(name)
        if col is None:
            raise Unsupported
        tests.append((name, _test(col, op, value)))
    return tests


def _slice_mask(index: RowIndex, tests: list, start: int, stop: int) -> np.ndarray:
    mask = None
    for name, test in tests:
        if name == ROW:
            part = test(np.arange(start + 1, stop + 1, dtype=np.int64))
        else:
            part = test(index.columns[name].codes[start:stop])
        mask = part if mask is None else (mask & part)
    return mask


def filter_mask(index: RowIndex, parsed: list[tuple[str, str, object]]) -> np.ndarray | None:
    """The rows matching every (field, op, coerced value) filter, or None for "all rows"."""
    tests = _tests(index, parsed)
    return _slice_mask(index, tests, 0, index.rows) if tests else None


def first_matches(
    index: RowIndex, parsed: list[tuple[str, str, object]], *, start: int, want: int
) -> np.ndarray:
    """The first ``want`` positions from ``start`` on (table order) that match every filter, for
    a page that needs no total. When one filter keeps a single value held by at most
    1/``DRIVER_SHARE`` of the rows (an industry, a district: a sharing grant's row scope), its rows
    are taken from that column's postings and only they are tested against the other filters;
    otherwise the filters run over growing slices. Either way the work stops once the page is full,
    so a filter that keeps many rows reads a few thousand codes, not every row."""
    tests = _tests(index, parsed)
    driven = _driver(index, parsed, start)
    if driven is not None:
        which, candidates = driven
        return _driven_matches(index, [t for i, t in enumerate(tests) if i != which], candidates, want)
    found, have, step = [], 0, 16384
    while start < index.rows and have < want:
        stop = min(index.rows, start + step)
        mask = _slice_mask(index, tests, start, stop) if tests else np.ones(stop - start, dtype=bool)
        hit = np.flatnonzero(mask)[: want - have] + start
        found.append(hit)
        have += len(hit)
        start = stop
        step = min(step * 4, 1 << 20)
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)


# A filter keeping one value drives a file-order page when that value's rows are at most this
# share (1/n) of the table; above it, testing slices of every column is as fast.
DRIVER_SHARE = 8
_postings_lock = threading.Lock()


def _postings(col: Column) -> tuple[np.ndarray, np.ndarray]:
    """(row positions grouped by code, ascending within a code; the index into them where each
    code's run starts, with the end as the last entry), computed once per mapped index."""
    found = col.postings
    if found is None:
        with _postings_lock:  # one thread sorts; the others arriving meanwhile wait for it
            found = col.postings
            if found is None:
                perm = np.argsort(col.codes, kind="stable").astype(np.int32)  # rows ascend per code
                starts = np.zeros(col.n + 2, dtype=np.int64)
                np.cumsum(np.bincount(col.codes, minlength=col.n + 1), out=starts[1:])
                found = col.postings = (perm, starts)
    return found


def _single_code(col: Column, op: str, value) -> int | None:
    """The one code a filter keeps (-1: it keeps nothing), or None when it may keep several."""
    if op == "in" and isinstance(value, list | tuple) and len(value) == 1:
        op, value = "eq", value[0]
    if op == "eq":
        lo, hi = _bounds(col, value)
        return lo if hi > lo else -1
    if op == "startswith" and col.kind == "text" and isinstance(value, str):
        if not col.n:
            return -1
        chosen = np.flatnonzero(pc.starts_with(col.values, pattern=value).to_numpy(zero_copy_only=False))
        return int(chosen[0]) if len(chosen) == 1 else (-1 if not len(chosen) else None)
    return None


def _driver(index: RowIndex, parsed: list[tuple[str, str, object]], start: int):
    """(which filter, its rows from ``start`` on, ascending) for the single-value filter keeping
    the fewest rows, if that is at most 1/DRIVER_SHARE of them; None otherwise."""
    best = None
    for i, (name, op, value) in enumerate(parsed):
        col = index.columns.get(name) if name != ROW else None
        code = None if col is None else _single_code(col, op, value)
        if code is None:
            continue
        if code < 0:
            return i, np.zeros(0, dtype=np.int32)
        perm, starts = _postings(col)
        a, b = int(starts[code]), int(starts[code + 1])
        if b - a <= index.rows // DRIVER_SHARE and (best is None or b - a < best[2] - best[1]):
            best = (i, a, b, perm)
    if best is None:
        return None
    i, a, b, perm = best
    rows = perm[a:b]
    return i, rows[int(np.searchsorted(rows, start)) :]


def _driven_matches(index: RowIndex, tests: list, candidates: np.ndarray, want: int) -> np.ndarray:
    """The first ``want`` of ``candidates`` (ascending positions) passing every test, testing
    growing chunks of them."""
    found, have, at, step = [], 0, 0, 4096
    while at < len(candidates) and have < want:
        hit = candidates[at : at + step]
        for name, test in tests:  # each test reads only the rows the ones before it kept
            if not len(hit):
                break
            hit = hit[test(hit.astype(np.int64) + 1) if name == ROW else test(index.columns[name].codes[hit])]
        hit = hit[: want - have]
        found.append(hit)
        have += len(hit)
        at += step
        step = min(step * 4, 1 << 20)
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)


def _row_test(op: str, value):
    """A test of row numbers (1..rows, Datasette's rowid) against ``value``."""
    if op == "isnull":
        return lambda numbers: np.full(len(numbers), not value, dtype=bool)
    if op == "in":
        wanted = np.array([int(v) for v in value], dtype=np.int64)
        return lambda numbers: np.isin(numbers, wanted)
    compare = {
        "eq": np.equal,
        "ne": np.not_equal,
        "gt": np.greater,
        "gte": np.greater_equal,
        "lt": np.less,
        "lte": np.less_equal,
    }.get(op)
    if compare is None or isinstance(value, bool) or not isinstance(value, int):
        raise Unsupported
    return lambda numbers: compare(numbers, value)


def _direction_codes(col: Column, direction: str, rows: np.ndarray | None) -> np.ndarray:
    codes = col.codes if rows is None else col.codes[rows]
    codes = codes.astype(np.int64)
    if direction == "desc":
        codes = np.where(codes < col.n, col.n - 1 - codes, col.n)
    return codes


def _cursor_key(index: RowIndex, order, values: list, row: int) -> int:
    """The composite key of a keyset cursor (values of the last row and its 1-based row)."""
    key, maxed = 0, False
    for (name, direction), value in zip(order, values, strict=True):
        col = index.columns[name]
        base = col.n + 1
        if maxed or value is None:
            part = col.n
        else:
            lo, hi = _bounds(col, value)
            if hi > lo:  # the value exists: its code
                part = lo if direction == "asc" else col.n - 1 - lo
            else:  # between codes: just before the first row after it, then the maximum
                part = lo - 1 if direction == "asc" else col.n - 1 - lo
                maxed = True
        key = key * base + part
    tail = index.rows - 1 if maxed else row - 1
    return key * index.rows + tail


_RANGE_OPS = ("eq", "gt", "gte", "lt", "lte")


def sort_range(index: RowIndex, order, parsed) -> tuple[int, int] | None:
    """The slice [start, end) of the one sort column's sorted order (``_sorted_order``) that its
    range filters (eq, gt, gte, lt, lte on that column) leave, found by binary search; None when
    the sort is not one indexed column or no filter bounds it."""
    if len(order) != 1:
        return None
    name, direction = order[0]
    col = index.columns.get(name)
    bounds = [(op, value) for field, op, value in parsed if field == name and op in _RANGE_OPS]
    if col is None or not bounds:
        return None
    lo, hi = 0, col.n  # codes [lo, hi) in ascending order; null (n) never passes a range filter
    for op, value in bounds:
        first, after = _bounds(col, value)
        if op == "eq":
            lo, hi = max(lo, first), min(hi, after)
        elif op == "gt":
            lo = max(lo, after)
        elif op == "gte":
            lo = max(lo, first)
        elif op == "lt":
            hi = min(hi, first)
        else:
            hi = min(hi, after)
    if hi <= lo:
        return 0, 0
    if direction == "desc":
        lo, hi = col.n - hi, col.n - lo
    _perm, keys = _sorted_order(index, name, direction)
    start = int(np.searchsorted(keys, lo * index.rows, "left"))
    end = int(np.searchsorted(keys, hi * index.rows, "left"))
    return start, end


def range_page(
    index: RowIndex,
    order: list[tuple[str, str]],
    parsed,
    *,
    limit: int,
    offset: int = 0,
    after: tuple[list, int] | None = None,
    count: bool = True,
) -> tuple[np.ndarray, int | None] | None:
    """A page whose every filter is a range on the one sort column: a slice of the column's
    sorted order, its total the slice's length (no mask, no scan). None when not that shape."""
    if not order or any(f != order[0][0] or op not in _RANGE_OPS for f, op, _v in parsed):
        return None
    found = sort_range(index, order, parsed)
    if found is None:
        return None
    start, end = found
    total = end - start
    perm, keys = _sorted_order(index, *order[0])
    if after is not None:
        start = max(start, int(np.searchsorted(keys, _cursor_key(index, order, after[0], after[1]), "right")))
    return perm[start + offset : min(end, start + offset + limit + 1)].astype(np.int64), (
        total if count else None
    )


def page(
    index: RowIndex,
    mask: np.ndarray | None,
    order: list[tuple[str, str]],
    *,
    limit: int,
    offset: int = 0,
    after: tuple[list, int] | None = None,
    count: bool = True,
    within: tuple[int, int] | None = None,
) -> tuple[np.ndarray, int | None]:
    """(0-based row positions of the page plus one look-ahead row, total matching rows).
    ``within``: ``sort_range``'s slice of the sort column's order, where every match lies."""
    for name, _d in order:
        if name not in index.columns:
            raise Unsupported
    span = 1
    for name, _d in order:
        span *= index.columns[name].n + 1
    if span * max(index.rows, 1) >= _INT64_LIMIT:
        raise Unsupported
    want = offset + limit + 1
    if mask is not None and len(order) == 1 and index.rows:
        matching = int(np.count_nonzero(mask))
        if matching * 50 >= index.rows:
            # many matches, one sort column: walk the sorted order and keep the matching rows
            # until the page is full (a range filter on the sort column finds them at once)
            perm, keys = _sorted_order(index, *order[0])
            start, stop = within if within is not None else (0, index.rows)
            if after is not None:
                start = max(
                    start, int(np.searchsorted(keys, _cursor_key(index, order, after[0], after[1]), "right"))
                )
            found, step = [], 4096
            have = 0
            while start < stop and have < want:
                chunk = perm[start : min(stop, start + step)]
                hit = chunk[mask[chunk]]
                found.append(hit)
                have += len(hit)
                start += step
                step = min(step * 4, 1 << 20)
            rows_ = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
            return rows_[offset:want].astype(np.int64), (matching if count else None)
    rows = None if mask is None else np.flatnonzero(mask)
    total = (index.rows if rows is None else len(rows)) if count else None
    if not order:
        if rows is None:
            rows = np.arange(index.rows, dtype=np.int64)
        if after is not None:
            rows = rows[np.searchsorted(rows, after[1]) :]  # after row r (1-based): positions >= r
        return rows[offset:want], total
    if rows is None and len(order) == 1:
        # every row, one sort column: the sorted order is kept per process (one stable argsort
        # on first use), a keyset page is then a binary search and a slice
        perm, keys = _sorted_order(index, *order[0])
        start = 0
        if after is not None:
            start = int(np.searchsorted(keys, _cursor_key(index, order, after[0], after[1]), "right"))
        return perm[start + offset : start + want].astype(np.int64), total
    key = None
    for name, direction in order:
        part = _direction_codes(index.columns[name], direction, rows)
        key = part if key is None else key * (index.columns[name].n + 1) + part
    positions = np.arange(index.rows, dtype=np.int64) if rows is None else rows.astype(np.int64)
    key = key * index.rows + positions
    if after is not None:
        keep = key > _cursor_key(index, order, after[0], after[1])
        key, positions = key[keep], positions[keep]
    if len(key) > want:
        part = np.argpartition(key, want - 1)[:want]
        key, positions = key[part], positions[part]
    chosen = np.argsort(key, kind="stable")
    return positions[chosen][offset:want], total


@lru_cache(maxsize=8)  # 12 bytes a row each: 12 MB per sorted column of 1,000,000 rows
def _sorted_order(index: RowIndex, name: str, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """(row positions in sort order, their ascending composite keys) for one column."""
    codes = _direction_codes(index.columns[name], direction, None)
    perm = np.argsort(codes, kind="stable")  # stable: ties stay in row order
    keys = codes[perm] * index.rows + perm
    return perm.astype(np.int32), keys


def facet(index: RowIndex, name: str, mask: np.ndarray | None, size: int) -> list[tuple[object, int]]:
    """Top ``size`` values with counts (count desc, value asc, null last) of the matching rows."""
    col = index.columns.get(name)
    if col is None:
        raise Unsupported
    codes = col.codes if mask is None else col.codes[mask]
    counts = np.bincount(codes, minlength=col.n + 1)
    present = np.flatnonzero(counts)
    ranked = present[np.lexsort((present, -counts[present]))][:size]
    out = []
    for code in ranked:
        value = None if code == col.n else col.values[int(code)].as_py()
        out.append((value, int(counts[code])))
    return out


def all_row_facet(index: RowIndex, name: str, size: int) -> list[tuple[object, int]]:
    """All-row facet counts (no filter), kept per process: the portal's and the APIs' first page."""
    return _all_row_facet(index, name, size)


@lru_cache(maxsize=256)
def _all_row_facet(index: RowIndex, name: str, size: int):
    return facet(index, name, None, size)
