"""Chinese full-text search of a published variant: posting lists of character n-grams.

Built once when a version is written (``build``) over the variant's free-text columns: text
columns too varied for the row index (names, addresses) that hold more than ASCII. For every
2-, 3- and 4-character sequence inside one value (``LEVELS``; ASCII letters folded to lower case)
the file holds the sorted list of the rows (0-based) whose free-text columns contain it, so no
word segmentation is needed and the file holds no text (that stays in the Parquet and Arrow
files). The file (``<variant>.grams.bin``) is an uncompressed, memory-mapped array file, so worker
processes share its pages:

    b"ZTGRAMS1", header length (uint64), JSON header (columns, rows, per level: count of keys and
    postings, byte offsets), then per level: keys (sorted uint64: each character's code point in
    21 bits, 16 bits for 4 characters of the Basic Multilingual Plane), offsets (int64, keys + 1),
    postings (int32 rows, ascending per key, each row once).

Built without a per-row Python loop: the free-text columns of each row are joined with a NUL
separator (Arrow), decoded once into code points (numpy), each n-gram becomes one integer, the
integers are dictionary-encoded (Arrow hashing) and put in order by a least-significant-digit radix
sort of at most 12 bits per pass (Arrow's stable sort, a counting sort for that span, and Arrow
takes), which keeps the rows of one n-gram ascending. Levels are written one at a time.

``matches(path, q)`` is every row whose free-text columns contain ``q``: for 2 to 4 characters
one posting list read by a binary search (exact, and its length is the count), for more
characters the intersection of the posting lists of 4-character pieces covering ``q``, checked
against the text. ``ranked_page`` answers a search without filters or sort from it: the first
``CANDIDATES`` matches in row order are ranked by the length of the shortest matching text (a
match in a short name before one in a long address), ties by row, and the rest follow in row
order; the total is the number of matching rows. With filters or a sort (``search``) every match
gets that rank.

Text columns of the row index (districts, statuses, ...) are matched through their sorted distinct
values, and ASCII-only columns can never contain a query that has other characters. A query of
ASCII characters only, or with cased letters other than ASCII ones (the scan's case rules), or a
searchable column neither index covers, is not answered here (``Unsupported``): the caller scans
with DuckDB. One character is matched by a vectorised substring scan of the memory-mapped Arrow
copy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhengtong.datastore.engine.rowfiles import RowIndex, take_rows
from zhengtong.datastore.engine.rowindex import Unsupported

MAGIC = b"ZTGRAMS1"
LEVELS = (2, 3, 4)
# Matches ranked per ranked page (the rest follow in row order).
CANDIDATES = 1000
_BITS = {2: 21, 3: 21, 4: 16}  # bits per character of a key (4 x 16 = 64: BMP characters only)
_CHUNK = 1 << 16  # rows scanned at a time when a page needs the first matches of a mask
_PIECE = 1 << 22  # code points turned into n-gram keys at a time while building
_DIGIT = 12  # bits of the keys sorted per pass (Arrow counts integers spanning <= 4096 values)


def text_columns(table: pa.Table, indexed: list[str]) -> tuple[list[str], list[str]]:
    """(free-text columns for the n-gram index, ASCII-only text columns) of ``table``."""
    fts, ascii_only = [], []
    for name in table.column_names:
        if name == "_row" or name in indexed:
            continue
        typ = table.column(name).type
        if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
            continue
        if pc.all(pc.string_is_ascii(table.column(name))).as_py() in (True, None):
            ascii_only.append(name)
        else:
            fts.append(name)
    return fts, ascii_only


def _code_points(table: pa.Table, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(code points of every row's free-text values, each followed by a NUL; the row of each code
    point), ASCII letters in lower case."""
    parts = [pc.fill_null(pc.cast(table.column(n), pa.large_string()), "") for n in names]
    joined = pc.binary_join_element_wise(
        *parts, pa.scalar("", pa.large_string()), pa.scalar("\x00", pa.large_string())
    ).combine_chunks()
    offsets = np.frombuffer(
        joined.buffers()[1], dtype=np.int64, count=len(joined) + 1, offset=joined.offset * 8
    )
    data = joined.buffers()[2]
    text = data[int(offsets[0]) : int(offsets[-1])].to_pybytes().decode("utf-8") if data is not None else ""
    del joined, data
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    del text
    upper = (points >= 65) & (points <= 90)
    points[upper] += 32
    lengths = sum(pc.utf8_length(p).to_numpy(zero_copy_only=False).astype(np.int64) + 1 for p in parts)
    rows = np.repeat(np.arange(table.num_rows, dtype=np.int32), lengths)
    return points, rows


def _level(points: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted keys, offsets, postings) of the ``n``-grams of ``points``. The keys are made a
    piece at a time and never concatenated (the hash encoding takes the pieces); a level's memory
    stays near 20 bytes per n-gram."""
    m = len(points) - n + 1
    bits = np.uint64(_BITS[n])
    # positions no n-gram may cover: the separators, and for 4-grams characters past the BMP
    bad = points == 0
    if n == 4:
        bad |= points >= 0x10000
    key_parts, owner_parts = [], []
    for start in range(0, max(m, 0), _PIECE):
        size = min(m, start + _PIECE) - start
        window = points[start : start + size + n - 1]
        keys = window[:size].astype(np.uint64)
        invalid = bad[start : start + size].copy()
        for j in range(1, n):
            keys <<= bits
            keys |= window[j : j + size]
            invalid |= bad[start + j : start + j + size]
        valid = ~invalid
        key_parts.append(keys[valid])
        owner_parts.append(rows[start : start + size][valid])
        del keys, valid, invalid
    del bad
    if not key_parts or not sum(len(k) for k in key_parts):
        return np.zeros(0, np.uint64), np.zeros(1, np.int64), np.zeros(0, np.int32)
    owners = np.concatenate(owner_parts)
    del owner_parts
    encoded = pa.chunked_array(key_parts, type=pa.uint64()).dictionary_encode()  # one dictionary
    del key_parts
    distinct = encoded.chunk(0).dictionary.to_numpy()
    order = np.argsort(distinct)
    rank = np.empty(len(distinct), dtype=np.uint32)
    rank[order] = np.arange(len(distinct), dtype=np.uint32)
    ids = np.concatenate([rank[c.indices.to_numpy()] for c in encoded.chunks])
    del encoded, rank
    pa.default_memory_pool().release_unused()
    counts = np.bincount(ids, minlength=len(distinct))
    # ``owners`` in key order, stable (rows stay ascending within a key): least significant digit
    # first, each digit sorted by Arrow, whose sort of integers spanning at most 4096 values is a
    # counting sort (stable, linear; its takes also beat numpy's bounds-checked fancy indexing).
    width = max(int(len(distinct) - 1).bit_length(), 1)
    step = -(-width // -(-width // _DIGIT))  # equal digits of at most _DIGIT bits
    digits = [
        ((ids >> np.uint32(shift)) & np.uint32((1 << step) - 1)).astype(np.uint16)
        for shift in range(0, width, step)
    ]
    del ids
    moved = pa.array(owners)
    del owners
    while digits:
        by = pc.array_sort_indices(pa.array(digits.pop(0)))
        moved = moved.take(by)
        digits = [pa.array(d).take(by).to_numpy() for d in digits]
        del by
    owners = moved.to_numpy()
    del moved
    ids = np.repeat(np.arange(len(distinct), dtype=np.uint32), counts)  # the keys in sorted order
    repeated = np.flatnonzero((ids[1:] == ids[:-1]) & (owners[1:] == owners[:-1])) + 1  # a row again
    if len(repeated):
        counts -= np.bincount(ids[repeated], minlength=len(distinct))
        owners = np.delete(owners, repeated)
    del ids
    offsets = np.zeros(len(distinct) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return distinct[order], offsets, owners


def build(table: pa.Table, path: str, indexed: list[str]) -> list[str]:
    """Write the n-gram file of ``table``; returns its free-text columns. Each level's arrays are
    written as soon as they are made (the header, whose counts come last, has its room reserved),
    so only one level is in memory at a time."""
    fts, ascii_only = text_columns(table, indexed)
    levels = {str(n): {"keys": 0, "postings": 0} for n in (LEVELS if fts else ())}
    header = {"format": 1, "rows": table.num_rows, "columns": fts, "ascii": ascii_only, "levels": levels}
    widest = {**header, "levels": {n: {"keys": 10**18, "postings": 10**18} for n in levels}}
    room = len(json.dumps(widest).encode())
    room += -(len(MAGIC) + 8 + room) % 8
    with open(path, "wb") as fh:
        fh.write(b"\0" * (len(MAGIC) + 8 + room))
        if fts:
            points, rows = _code_points(table, fts)
            for n in LEVELS:
                arrays = _level(points, rows, n)
                levels[str(n)] = {"keys": len(arrays[0]), "postings": len(arrays[2])}
                for array in arrays:
                    fh.write(np.ascontiguousarray(array).data)
                    fh.write(b"\0" * (-array.nbytes % 8))
                del arrays
                pa.default_memory_pool().release_unused()  # the level's Arrow buffers, back to the OS
            del points, rows
        blob = json.dumps(header).encode()
        fh.seek(0)
        fh.write(MAGIC + np.uint64(room).tobytes() + blob + b" " * (room - len(blob)))
    return fts


@dataclass(eq=False)
class Grams:
    columns: list[str]  # the free-text columns
    ascii_only: list[str]
    levels: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # n -> (keys, offsets, postings)


@lru_cache(maxsize=64)
def _open(path: str) -> Grams:
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(raw[: len(MAGIC)]) != MAGIC:
        raise Unsupported
    size = int(raw[len(MAGIC) : len(MAGIC) + 8].view(np.uint64)[0])
    at = len(MAGIC) + 8
    header = json.loads(bytes(raw[at : at + size]))
    at += size
    levels = {}
    for n in LEVELS:
        info = header["levels"].get(str(n))
        if info is None:
            continue
        arrays = []
        for dtype, count in (
            (np.uint64, info["keys"]),
            (np.int64, info["keys"] + 1),
            (np.int32, info["postings"]),
        ):
            nbytes = count * np.dtype(dtype).itemsize
            arrays.append(raw[at : at + nbytes].view(dtype))
            at += nbytes + (-nbytes % 8)
        levels[n] = tuple(arrays)
    return Grams(header["columns"], header["ascii"], levels)


def forget() -> None:
    """Close this process's mapped files (after files were removed)."""
    _open.cache_clear()


def _key(text: str) -> int | None:
    n = len(text)
    bits = _BITS[n]
    key = 0
    for ch in text:
        point = ord(ch)
        if point >= 1 << bits:
            return None
        key = (key << bits) | point
    return key


def _postings(grams: Grams, text: str) -> np.ndarray | None:
    """The posting list of one n-gram (2 to 4 characters, lower-cased), None when not indexed."""
    level = grams.levels.get(len(text))
    key = _key(text)
    if level is None or key is None:
        return None
    keys, offsets, postings = level
    at = int(np.searchsorted(keys, np.uint64(key)))
    if at == len(keys) or int(keys[at]) != key:
        return postings[:0]
    return postings[int(offsets[at]) : int(offsets[at + 1])]


def _fold(q: str) -> str:
    return re.sub("[A-Z]", lambda m: m.group().lower(), q)


def _supported(q: str) -> None:
    """Unsupported for an ASCII-only query (DuckDB scans the ASCII-only columns too) and for cased
    letters other than ASCII ones (the index folds ASCII letters only)."""
    if q.isascii() or "\x00" in q or any(not ch.isascii() and ch.lower() != ch.upper() for ch in q):
        raise Unsupported


def matches(path: str, q: str, rows: pa.Table) -> np.ndarray:
    """0-based rows (ascending) whose free-text columns contain ``q`` (2 or more characters):
    one posting list for 2 to 4 characters; for more, the intersection of the lists of pieces
    covering ``q``, checked against the text of ``rows``."""
    grams = _open(path)
    folded = _fold(q)
    if len(folded) <= max(LEVELS):
        found = _postings(grams, folded)
        if found is not None:
            return found
    width = 4 if _key(folded[:4]) is not None else 3  # characters past the BMP: 3-grams
    pieces = [folded[i : i + width] for i in range(0, len(folded) - width + 1, width)]
    pieces.append(folded[-width:])
    lists = [_postings(grams, p) for p in pieces]
    if any(a is None for a in lists):
        raise Unsupported
    lists.sort(key=len)
    found = lists[0]
    for other in lists[1:]:
        if not len(found):
            break
        at = np.searchsorted(other, found)
        found = found[(at < len(other)) & (other[np.minimum(at, len(other) - 1)] == found)]
    if not len(found):
        return found
    hit = np.zeros(len(found), dtype=bool)
    letters = bool(re.search("[A-Za-z]", q))
    for name in grams.columns:
        values = take_rows(rows.column(name), found)
        hit |= pc.fill_null(pc.match_substring(values, pattern=q, ignore_case=letters), False).to_numpy(
            zero_copy_only=False
        )
    return found[hit]


def _plan(path: str, q: str, searchable: list[str], index: RowIndex) -> tuple[Grams, list[str], list]:
    """(the n-gram file, the searchable free-text columns, the row-index text columns with a value
    containing ``q`` and those values' lookup table); Unsupported when the indexes cannot answer."""
    _supported(q)
    grams = _open(path)
    wanted = [c for c in searchable if c in grams.columns]
    if len(wanted) != len(grams.columns):
        raise Unsupported  # a free-text column left out of the search: the posting lists hold it
    letters = bool(re.search("[A-Za-z]", q))
    through = []
    for name in searchable:
        if name in grams.columns or name in grams.ascii_only:
            continue
        col = index.columns.get(name)
        if col is None or col.kind != "text":
            raise Unsupported
        if not col.n:
            continue
        allowed = pc.match_substring(col.values, pattern=q, ignore_case=letters).to_numpy(
            zero_copy_only=False
        )
        if allowed.any():
            lookup = np.zeros(col.n + 1, dtype=bool)
            lookup[: col.n] = allowed
            through.append((col, lookup))
    return grams, wanted, through


def _text_mask(path: str, q: str, wanted: list[str], rows: pa.Table, n: int) -> np.ndarray:
    """The rows whose free-text columns contain ``q``, as a mask."""
    mask = np.zeros(n, dtype=bool)
    if not wanted:
        return mask
    if len(q) >= 2:
        mask[matches(path, q, rows)] = True
        return mask
    letters = bool(re.search("[A-Za-z]", q))
    for name in wanted:
        hit = pc.fill_null(pc.match_substring(rows.column(name), pattern=q, ignore_case=letters), False)
        mask |= hit.to_numpy(zero_copy_only=False)
    return mask


def _first(mask: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` set positions of ``mask`` (scanning a chunk at a time)."""
    found, have = [], 0
    for start in range(0, len(mask), _CHUNK):
        part = np.flatnonzero(mask[start : start + _CHUNK])
        if len(part):
            found.append(part + start)
            have += len(part)
            if have >= count:
                break
    return np.concatenate(found)[:count] if found else np.zeros(0, dtype=np.int64)


def ranked_page(
    path: str,
    q: str,
    searchable: list[str],
    index: RowIndex,
    rows: pa.Table | None,
    *,
    limit: int,
    offset: int,
    count: bool,
) -> tuple[np.ndarray, int | None]:
    """A page of a search without filters or sort: (0-based positions of the page plus one,
    total). The first ``CANDIDATES`` matches (in row order) are ranked by the length of their
    shortest matching free text, then by row; positions past them continue in row order.
    Unsupported for one character and when the general path is needed."""
    if len(q) < 2 or rows is None:
        raise Unsupported
    grams, wanted, through = _plan(path, q, searchable, index)
    if not wanted:
        raise Unsupported
    want = offset + limit + 1
    if through:  # matches through row-index values too: one mask of both
        mask = _text_mask(path, q, wanted, rows, index.rows)
        for col, lookup in through:
            mask |= lookup[col.codes]
        head = _first(mask, max(want, CANDIDATES))
        total = int(np.count_nonzero(mask)) if count else None
    else:
        head = matches(path, q, rows)
        total = len(head) if count else None
    window = np.asarray(head[:CANDIDATES], dtype=np.int64)
    ranked = window[_rank(window, q, wanted, rows)] if len(window) else window
    page_ = ranked[offset:want]
    if len(page_) < want - offset and len(head) > len(window):
        rest = np.asarray(head[max(len(window), offset) : want], dtype=np.int64)
        page_ = np.concatenate([page_, rest])
    return page_, total


def _rank(candidates: np.ndarray, q: str, wanted: list[str], rows: pa.Table) -> np.ndarray:
    """The order of ``candidates`` (ascending positions): shortest matching text first, then row."""
    return np.lexsort((candidates, _lengths(candidates, q, wanted, rows)))


def _lengths(candidates: np.ndarray, q: str, wanted: list[str], rows: pa.Table) -> np.ndarray:
    """The length of each candidate's shortest text in ``wanted`` containing ``q`` (int64 max
    when none does)."""
    best = np.full(len(candidates), np.iinfo(np.int64).max, dtype=np.int64)
    letters = bool(re.search("[A-Za-z]", q))
    for name in wanted:
        values = take_rows(rows.column(name), candidates)
        hit = pc.fill_null(pc.match_substring(values, pattern=q, ignore_case=letters), False)
        lengths = pc.fill_null(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        hits = hit.to_numpy(zero_copy_only=False)
        best = np.where(hits, np.minimum(best, lengths), best)
    return best


def search(
    path: str, q: str, searchable: list[str], index: RowIndex, rows: pa.Table
) -> tuple[np.ndarray, np.ndarray]:
    """(mask of matching rows, rank key per row: lower is better) for ``q`` over ``searchable``."""
    _grams, wanted, through = _plan(path, q, searchable, index)
    n = index.rows
    mask = _text_mask(path, q, wanted, rows, n)
    for col, lookup in through:
        mask |= lookup[col.codes]
    score = np.full(n, np.inf)
    # the rank of ranked_page: the first CANDIDATES matches by their shortest matching text,
    # the rest after them in row order (inf: lexsort then orders by row)
    window = _first(mask, CANDIDATES)
    if len(window):
        none = np.iinfo(np.int64).max
        lengths = _lengths(window, q, wanted, rows) if wanted else np.full(len(window), none)
        # matched only through a row-index column: after the window's text matches
        score[window] = np.where(lengths == none, 1e18, lengths.astype(np.float64))
    return mask, score
