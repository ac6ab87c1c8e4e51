"""The row index's files: what ``rowindex`` queries, written once per published variant
(``build``) and read memory-mapped (``load``). See ``rowindex`` for what the codes and the posting
order are and how queries use them.

Files (``<variant>.idx.arrow``: one int32 column per indexed field, N rows, then its ``order``
column; ``<variant>.keys.arrow``: the sorted distinct values, padded with nulls to the longest
list) are uncompressed Arrow IPC, so the operating system shares their pages between worker
processes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FORMAT = 2  # 2: each column's posting order (format 1 files are still read: no order)


@dataclass(eq=False)
class Column:
    codes: np.ndarray  # int32 per row; null = n
    uniques: np.ndarray  # sorted distinct values (numpy: object for text, datetime64 for dates)
    n: int  # number of distinct non-null values
    kind: str  # "text", "number", "bool", "date", "datetime"
    values: pa.Array  # the sorted distinct values as Arrow (json values, substring tests)
    order: np.ndarray | None = None  # int32 row positions by (code, row); None: a format 1 file
    _starts: np.ndarray | None = None

    def starts(self) -> np.ndarray:
        """Where each code's rows begin in ``order`` (n + 2 entries: the null code n, then the end)."""
        if self._starts is None:
            counts = np.bincount(self.codes, minlength=self.n + 1)
            self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return self._starts


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
        meta[name] = {"n": len(uniques), "type": str(column.type), "order": len(chosen) + len(meta)}
    schema_meta = {b"zhengtong.rowindex": json.dumps({"format": FORMAT, "columns": meta}).encode()}
    if codes:
        # the posting orders after the codes, found by position (``meta[name]["order"]``): from
        # arrays with their own names, never a field's
        orders = [pa.array(posting_order(c.to_numpy(), meta[n]["n"])) for n, c in codes.items()]
        index_table = pa.Table.from_arrays(
            [*codes.values(), *orders], names=[*codes, *(f"order:{n}" for n in codes)]
        )
    else:
        index_table = pa.table({"_none": pa.nulls(table.num_rows, pa.int32())})
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


def posting_order(codes: np.ndarray, n: int) -> np.ndarray:
    """Row positions ordered by code (nulls, code ``n``, last), in row order within a code: the
    stable argsort (a radix sort when the codes fit 16 bits)."""
    small = codes.astype(np.uint16) if n < 2**16 - 1 else codes
    return np.argsort(small, kind="stable").astype(np.int32)


@lru_cache(maxsize=64)
def load(index_path: str, keys_path: str) -> RowIndex:
    index_table = pa.ipc.open_file(pa.memory_map(index_path, "r")).read_all()
    keys_table = pa.ipc.open_file(pa.memory_map(keys_path, "r")).read_all()
    meta = json.loads(index_table.schema.metadata[b"zhengtong.rowindex"])
    columns = {}
    for position, (name, info) in enumerate(meta["columns"].items()):
        n = info["n"]
        values = keys_table.column(name).combine_chunks().slice(0, n)
        kind = _kind(values.type)
        # by position: the codes in the order of the metadata, each column's order at "order"
        codes = _numpy(index_table.column(position))
        order = _numpy(index_table.column(info["order"])) if "order" in info else None
        if kind == "text":
            uniques = np.array(values.to_pylist(), dtype=object)
        else:
            uniques = values.to_numpy(zero_copy_only=False)
        columns[name] = Column(codes=codes, uniques=uniques, n=n, kind=kind, values=values, order=order)
    return RowIndex(rows=index_table.num_rows, columns=columns)


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    """The int32 column as numpy: a view of the mapped file when it is one chunk."""
    return column.chunks[0].to_numpy() if column.num_chunks == 1 else column.to_numpy()


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
