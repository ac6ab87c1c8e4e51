"""The row index: per published variant, every orderable column as dense, order-preserving codes.

Built once when a version is written (``rowfiles.build``), read memory-mapped (``rowfiles.load``). For each indexed
column the distinct non-null values are sorted (byte order for text, as DuckDB compares) and each
row holds its value's position in that list (``int32``; null = the number of distinct values, so
it sorts last). Every filter operator the APIs accept then becomes a comparison of small integers
over one array (``eq``/``gt``/... are a binary search in the sorted values, ``in``/``contains``/
``startswith`` a lookup table over the distinct values), a sort is an ``argpartition`` of an
``int64`` key built from the codes and the row number (ties broken by ``_row``, nulls last in both
directions), the total is the number of matching rows of the same pass, and facets are a
``bincount`` of the codes. Anything the index cannot answer exactly returns ``None`` and the
caller uses DuckDB (see docs/datastore.md, "Choosing the engine").

Posting lists (format 2): each indexed column also stores its rows ordered by code, in row order
within a code (``order``, int32; the stable argsort of the codes). The rows holding one value, or
one run of values (a range, a prefix, null), are then one slice of it, found by the per-code counts
(``starts``, made on first use). A query whose most selective filter's slice is small
(``POSTING_SHARE``) takes that slice as its candidates and tests the other filters on the codes of
those rows only (gathers, not a pass over every row), so its exact total costs the size of that
slice; the sort column's order is then walked, testing each filter on the codes of the rows
walked, until the page is full (or, for few matches, the matches are ranked by their sort key).
Index files of format 1 (no ``order``) are read as before: a mask over every row.

The files and their format: ``rowfiles`` (``build``, ``load``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow.compute as pc

from zhengtong.datastore.engine.rowfiles import Column, RowIndex, posting_order

ROW = "_row"  # the stored row number (store.ROW; store imports this module)
_INT64_LIMIT = 2**62
# The posting lists answer a query when its most selective filter keeps at most this share of the
# rows (gathering the other filters' codes at those rows costs about what comparing every row's
# code costs at an eighth of the rows); otherwise one mask over every row.
POSTING_SHARE = 1 / 8
# A sorted page of posting list matches walks the sort column's order when the rows it expects to
# walk, times the filters tested at each, are at most this many times the matches (else it ranks
# every match by its sort key).
WALK_FACTOR = 4


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


def _allowed(col: Column, op: str, value) -> np.ndarray:
    """``in``, ``contains`` and ``startswith`` as a bool per distinct value."""
    n = col.n
    if op == "in":
        allowed = np.zeros(n, dtype=bool)
        for item in value:
            lo, hi = _bounds(col, item)
            allowed[lo:hi] = True
        return allowed
    if col.kind != "text":
        raise Unsupported  # the text form of numbers and dates is DuckDB's
    fn = pc.match_substring if op == "contains" else pc.starts_with
    allowed = fn(col.values, pattern=value).to_numpy(zero_copy_only=False) if n else np.zeros(0, bool)
    return allowed.astype(bool)


def _run(col: Column, op: str, value) -> tuple[int, int] | None:
    """The codes [lo, hi) a filter keeps when they are one run (one slice of the posting order:
    a value, a range, a prefix, null or not null); None for ``ne`` and scattered ``in`` values."""
    n = col.n
    if op == "isnull":
        return (n, n + 1) if value else (0, n)
    if op in {"in", "contains", "startswith"}:
        chosen = np.flatnonzero(_allowed(col, op, value))
        if len(chosen) == 0:
            return 0, 0
        lo, hi = int(chosen[0]), int(chosen[-1]) + 1
        return (lo, hi) if hi - lo == len(chosen) else None
    if op not in _RANGE_OPS:
        return None
    lo, hi = _bounds(col, value)
    return {"eq": (lo, hi), "gt": (hi, n), "gte": (lo, n), "lt": (0, lo), "lte": (0, hi)}[op]


def _test(col: Column, op: str, value):
    """One filter on one column as a test over (a slice of, or a gather of) its codes."""
    n = col.n
    if op == "isnull":
        return (lambda codes: codes == n) if value else (lambda codes: codes < n)
    if op in {"in", "contains", "startswith"}:
        return _allowed_test(col, _allowed(col, op, value))
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


@dataclass(eq=False)
class Matches:
    """The rows matching every filter, and how many: a mask over every row, or the candidates
    of one posting list slice with the other filters' test at them (``keep``), or every row."""

    total: int
    tests: list  # (column name or ROW, test) of every filter
    mask: np.ndarray | None = None
    candidates: np.ndarray | None = None  # int32 positions, by (code, row) of the sliced column
    keep: np.ndarray | None = None  # bool per candidate; None: every candidate matches
    in_row_order: bool = True  # the candidates are one code's rows: ascending positions
    _positions: np.ndarray | None = None

    @property
    def every_row(self) -> bool:
        return self.mask is None and self.candidates is None

    def positions(self, *, row_order: bool = False) -> np.ndarray | None:
        """The matching positions (ascending when ``row_order``); None for every row."""
        if self.every_row:
            return None
        if self._positions is None:
            if self.mask is not None:
                self._positions = np.flatnonzero(self.mask)
            else:
                found = self.candidates if self.keep is None else self.candidates[self.keep]
                self._positions = found.astype(np.int64)
        if row_order and not self.in_row_order:
            self._positions.sort()
            self.in_row_order = True
        return self._positions

    def selector(self) -> np.ndarray | None:
        """What indexes the codes of the matching rows (the mask, or the positions): facets."""
        return self.mask if self.mask is not None else self.positions()

    def as_mask(self, index: RowIndex) -> np.ndarray | None:
        if self.mask is None and self.candidates is not None:
            mask = np.zeros(index.rows, dtype=bool)
            mask[self.positions()] = True
            self.mask = mask
        return self.mask

    def test_rows(self, index: RowIndex, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` (positions) match: the mask at them, or every filter's test on the
        codes gathered at them."""
        if self.mask is not None:
            return self.mask[rows]
        ok = None
        for name, test in self.tests:
            part = test(rows.astype(np.int64) + 1) if name == ROW else test(index.columns[name].codes[rows])
            ok = part if ok is None else (ok & part)
        return np.ones(len(rows), dtype=bool) if ok is None else ok


def select(index: RowIndex, parsed: list[tuple[str, str, object]]) -> Matches:
    """The rows matching every (field, op, coerced value) filter with their exact number. The
    most selective filter that keeps one run of codes gives its posting list slice when that
    slice holds at most ``POSTING_SHARE`` of the rows: the other filters are then tested on the
    codes at those rows only. Otherwise one mask over every row."""
    tests = _tests(index, parsed)
    if not tests:
        return Matches(total=index.rows, tests=tests)
    best = None
    for i, (name, op, value) in enumerate(parsed):
        col = index.columns.get(name) if name != ROW else None
        if col is None or col.order is None:
            continue
        run = _run(col, op, value)
        if run is None:
            continue
        lo, hi = run
        starts = col.starts()
        size = int(starts[hi] - starts[lo]) if hi > lo else 0
        if best is None or size < best[0]:
            best = (size, i, lo, hi)
    if best is not None and best[0] <= index.rows * POSTING_SHARE:
        size, i, lo, hi = best
        col = index.columns[parsed[i][0]]
        first = int(col.starts()[lo]) if size else 0
        candidates = col.order[first : first + size]
        keep = None
        for j, (name, test) in enumerate(tests):
            if j == i:
                continue
            part = (
                test(candidates.astype(np.int64) + 1)
                if name == ROW
                else test(index.columns[name].codes[candidates])
            )
            keep = part if keep is None else (keep & part)
        total = size if keep is None else int(np.count_nonzero(keep))
        return Matches(total=total, tests=tests, candidates=candidates, keep=keep, in_row_order=hi - lo <= 1)
    mask = _slice_mask(index, tests, 0, index.rows)
    return Matches(total=int(np.count_nonzero(mask)), tests=tests, mask=mask)


def first_matches(
    index: RowIndex, parsed: list[tuple[str, str, object]], *, start: int, want: int
) -> np.ndarray:
    """The first ``want`` positions from ``start`` on (table order) that match every filter, for
    a page that needs no total. When one filter keeps a single value held by at most
    ``POSTING_SHARE`` of the rows (an industry, a district: a sharing grant's row scope), its rows
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


_postings_lock = threading.Lock()


def _postings(col: Column) -> tuple[np.ndarray, np.ndarray]:
    """The column's posting order and where each code's run starts (``Column.order`` and
    ``starts``); a format 1 file has no stored order, so it is computed once per mapped index."""
    if col.order is None:
        with _postings_lock:  # one thread sorts; the others arriving meanwhile wait for it
            if col.order is None:
                col.order = posting_order(col.codes, col.n)
    return col.order, col.starts()


def _single_code(col: Column, op: str, value) -> int | None:
    """The one code a filter keeps (-1: it keeps nothing), or None when it may keep several."""
    run = _run(col, op, value)
    if run is None:
        return None
    lo, hi = run
    return -1 if hi <= lo else (lo if hi - lo == 1 else None)


def _driver(index: RowIndex, parsed: list[tuple[str, str, object]], start: int):
    """(which filter, its rows from ``start`` on, ascending) for the single-value filter keeping
    the fewest rows, if that is at most ``POSTING_SHARE`` of them; None otherwise."""
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
        if b - a <= index.rows * POSTING_SHARE and (best is None or b - a < best[2] - best[1]):
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
    matches: Matches,
    order: list[tuple[str, str]],
    *,
    limit: int,
    offset: int = 0,
    after: tuple[list, int] | None = None,
    count: bool = True,
    within: tuple[int, int] | None = None,
) -> tuple[np.ndarray, int | None]:
    """(0-based row positions of the page plus one look-ahead row, total matching rows) of the
    rows ``select`` found. ``within``: ``sort_range``'s slice of the sort column's order, where
    every match lies."""
    for name, _d in order:
        if name not in index.columns:
            raise Unsupported
    span = 1
    for name, _d in order:
        span *= index.columns[name].n + 1
    if span * max(index.rows, 1) >= _INT64_LIMIT:
        raise Unsupported
    want = offset + limit + 1
    total = matches.total if count else None
    if not matches.every_row and len(order) == 1 and index.rows and _walk(index, matches, want, within):
        # one sort column: walk its sorted order and keep the matching rows until the page is
        # full (a range filter on the sort column finds them at once)
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
            hit = chunk[matches.test_rows(index, chunk)]
            found.append(hit)
            have += len(hit)
            start += step
            step = min(step * 4, 1 << 20)
        rows_ = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        return rows_[offset:want].astype(np.int64), total
    rows = matches.positions(row_order=not order)
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
    chosen = np.argsort(key, kind="stable")  # the key ends with the position: no ties
    return positions[chosen][offset:want], total


def _walk(index: RowIndex, matches: Matches, want: int, within: tuple[int, int] | None) -> bool:
    """Walk the sort column's order (rather than rank every match by its sort key)? A mask: when
    at least 2 % of the rows match. Posting list candidates: when the rows expected to be walked
    (the page over the matches' share of the walked slice, at least the first step), each
    tested filter by filter, cost less than ranking the matches."""
    if matches.mask is not None:
        return matches.total * 50 >= index.rows
    if not matches.total:
        return False
    start, stop = within if within is not None else (0, index.rows)
    walked = max(4096, want * (stop - start) / matches.total)
    return walked * (len(matches.tests) + 1) <= WALK_FACTOR * matches.total


@lru_cache(maxsize=8)  # 12 bytes a row each: 12 MB per sorted column of 1,000,000 rows
def _sorted_order(index: RowIndex, name: str, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """(row positions in sort order, their ascending composite keys) for one column: from the
    stored posting order (ascending: that order itself; descending: its runs of codes in reverse,
    nulls still last), or one stable argsort for a format 1 file."""
    col = index.columns[name]
    if col.order is None:
        codes = _direction_codes(col, direction, None)
        perm = np.argsort(codes, kind="stable")  # stable: ties stay in row order
        keys = codes[perm] * index.rows + perm
        return perm.astype(np.int32), keys
    starts = col.starts()
    counts = np.diff(starts)
    if direction == "asc":
        perm, run_counts = col.order, counts
    else:
        runs = np.r_[np.arange(col.n - 1, -1, -1), col.n]  # codes in descending order, null last
        run_counts = counts[runs]
        placed = np.concatenate([[0], np.cumsum(run_counts)[:-1]])
        source = np.repeat(starts[runs] - placed, run_counts) + np.arange(index.rows)
        perm = col.order[source]
    # the k-th run holds direction code k (desc: n - 1 - code; null: n in both directions)
    keys = np.repeat(np.arange(col.n + 1, dtype=np.int64), run_counts) * index.rows + perm
    return perm, keys


def facet(index: RowIndex, name: str, mask: np.ndarray | None, size: int) -> list[tuple[object, int]]:
    """Top ``size`` values with counts (count desc, value asc, null last) of the matching rows
    (``mask``: a bool per row or the matching positions; None: every row)."""
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
