"""Answering a query from a published variant's row index and text index (no scan).

``index_answer`` raises ``Unsupported`` for anything the indexes cannot answer exactly (a filter
or sort on a column without a row index, ``contains`` on a number, an ASCII-only ``q``, ...); the
caller then runs the query on DuckDB. The page, the total and the facets come from the same
matching rows (``rowindex.select``: a posting list slice tested on the other filters, or a mask).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from zhengtong.datastore.engine import rowindex, textindex
from zhengtong.datastore.engine.rowfiles import RowIndex
from zhengtong.datastore.engine.rowindex import Unsupported


@dataclass
class IndexAnswer:
    positions: np.ndarray  # 0-based row positions of the page
    more: bool
    total: int | None
    ranked: bool
    next_offset: int
    index: RowIndex
    mask: np.ndarray | None  # the matching rows: a mask over every row or their positions; None: all
    searched: str | None = None  # a ranked page straight from the text index: no mask to facet over
    parsed: list | None = None  # a range page's filters: the rows are found when a facet needs them

    def facet(self, name: str, size: int) -> list[tuple[object, int]]:
        if self.searched is not None:
            raise Unsupported
        if self.mask is None and self.parsed:
            self.mask = rowindex.select(self.index, self.parsed).selector()
        if self.mask is None:
            return rowindex.all_row_facet(self.index, name, size)
        return rowindex.facet(self.index, name, self.mask, size)


def index_answer(
    served: tuple[RowIndex, str],
    parsed: list[tuple[str, str, object]],
    q: str | None,
    searchable: list[str],
    order: list[tuple[str, str]],
    *,
    limit: int,
    offset: int,
    cursor: dict | None,
    count: bool,
    rows: pa.Table | None,
) -> IndexAnswer:
    index, grams_path = served[0], served[1]
    if q and grams_path is None:
        raise Unsupported  # a variant with the row index only (raw): DuckDB searches it
    if q and not parsed and not order and (cursor is None or cursor.get("o") == "rank"):
        start = offset if cursor is None else cursor.get("n")
        if isinstance(start, int) and not isinstance(start, bool) and start >= 0:
            try:
                positions, total = textindex.ranked_page(
                    grams_path, q, searchable, index, rows, limit=limit, offset=start, count=count
                )
                more = len(positions) > limit
                return IndexAnswer(positions[:limit], more, total, True, start + limit, index, None, q)
            except Unsupported:
                pass
    ranked = bool(q) and not order and (cursor is None or cursor.get("o") == "rank")
    after = None
    if cursor is not None and not ranked:
        values, row = cursor.get("k") or [], cursor.get("r")
        if len(values) != len(order) or not isinstance(row, int) or isinstance(row, bool):
            raise Unsupported  # DuckDB's path reports the bad cursor
        after = (_cursor_values(index, order, values), row)
    if not q and parsed:
        # every filter a range on the one sort column: a slice of its sorted order, no mask
        sliced = rowindex.range_page(
            index, order, parsed, limit=limit, offset=offset, after=after, count=count
        )
        if sliced is not None:
            positions, total = sliced
            more = len(positions) > limit
            return IndexAnswer(
                positions[:limit], more, total, False, offset + limit, index, None, None, parsed
            )
    if not q and not order and not count and parsed:
        # table order, no total: the first matches from the cursor on, the filters stopping
        # once the page is full (the sharing interface's pages)
        start = after[1] if after is not None else 0
        positions = rowindex.first_matches(index, parsed, start=start, want=offset + limit + 1)
        more = len(positions) > offset + limit
        return IndexAnswer(
            positions[offset : offset + limit], more, None, False, offset + limit, index, None, None, parsed
        )
    matches = rowindex.select(index, parsed)
    score = None
    if q:
        if rows is None:
            raise Unsupported
        qmask, score = textindex.search(grams_path, q, searchable, index, rows)
        mask = matches.as_mask(index)
        mask = qmask if mask is None else (mask & qmask)
        matches = rowindex.Matches(total=int(np.count_nonzero(mask)), tests=matches.tests, mask=mask)
    if ranked:
        mask = matches.mask
        start = offset
        if cursor is not None:
            start = cursor.get("n")
            if not isinstance(start, int) or isinstance(start, bool) or start < 0 or cursor.get("q") != q:
                raise Unsupported  # the caller reports the cursor
        hits = np.flatnonzero(mask)
        total = len(hits) if count else None
        key = score[hits]
        want = start + limit + 1
        if len(hits) > want:
            # the ``want`` best by (score, row): all below the cut-off score, then the rows
            # with exactly that score in row order (``hits`` ascends), so pages never overlap
            cut = np.partition(key, want - 1)[want - 1]
            below = np.flatnonzero(key < cut)
            at = np.flatnonzero(key == cut)[: want - len(below)]
            part = np.concatenate([below, at])
            hits, key = hits[part], key[part]
        chosen = np.lexsort((hits, key))  # score, then row
        positions = hits[chosen][start:want]
        more = len(positions) > limit
        return IndexAnswer(positions[:limit], more, total, True, start + limit, index, mask)
    positions, total = rowindex.page(
        index,
        matches,
        order,
        limit=limit,
        offset=offset,
        after=after,
        count=count,
        within=rowindex.sort_range(index, order, parsed) if not matches.every_row else None,
    )
    more = len(positions) > limit
    return IndexAnswer(positions[:limit], more, total, False, offset + limit, index, matches.selector())


def _cursor_values(index: RowIndex, order, values: list) -> list:
    """A cursor's JSON values in the types the row index compares (dates from ISO text, ...)."""
    out = []
    for (name, _d), value in zip(order, values, strict=True):
        col = index.columns.get(name)
        if col is None:
            raise Unsupported
        if value is None:
            out.append(None)
            continue
        try:
            if col.kind == "date":
                value = dt.date.fromisoformat(value)
            elif col.kind == "datetime":
                value = dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except (TypeError, ValueError):
            raise Unsupported from None
        if col.kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise Unsupported
        if col.kind == "text" and not isinstance(value, str):
            raise Unsupported
        if col.kind == "bool" and not isinstance(value, bool):
            raise Unsupported
        out.append(value)
    return out
