"""Chinese full-text search of a published variant: SQLite FTS5 with the trigram tokenizer.

Built once when a version is written (``build``) over the variant's free-text columns: text
columns too varied for the row index (names, addresses) that hold more than ASCII. The table is
contentless (the text itself stays in the Parquet and Arrow files), so the file holds only the
trigram postings. It is opened read-only and immutable (``file:...?mode=ro&immutable=1``), one
connection per thread.

``search`` answers ``q`` with the rows whose searchable columns contain it, ranked:

- 3 or more characters: an FTS5 phrase of trigrams (a substring match, case-insensitive as
  DuckDB's ``ILIKE``), ranked by bm25;
- 2 characters of CJK ideographs, letters or digits: the bigram index (``build_bigrams``), a
  second FTS5 table whose text was split into overlapping two-character tokens at build time
  ("杭州市" is stored as "杭州 州市"), so the query is one token;
- 1 character, or 2 with other characters: a vectorised substring scan of the memory-mapped
  Arrow copy (Arrow compute, several threads).

A page of a search without filters or sort (``ranked_page``) never scores every match: it takes
the first ``CANDIDATES`` matches in row order from the index, ranks them by the length of the
shortest matching text (a match in a short name before one in a long address; a phrase query's
bm25 orders the same way, its idf being one constant), ties by row, and continues past them in
row order. The total is FTS5's count of the matching rows. With filters or a sort (``search``)
every match gets that rank (3 or more characters: bm25).

Text columns of the row index (districts, statuses, ...) are matched through their sorted distinct
values, and ASCII-only columns can never contain a query that has other characters. A query of
ASCII characters only, or a searchable column neither index covers, is not answered here
(``Unsupported``): the caller scans with DuckDB as before.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhengtong.datastore.engine.rowindex import RowIndex, Unsupported

_local = threading.local()
BATCH = 50_000
# Matches ranked per ranked page (the rest follow in row order).
CANDIDATES = 1000
# Characters the bigram index holds pairs of (a 2-character query of others is scanned).
_BIGRAM_CHAR = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def text_columns(table: pa.Table, indexed: list[str]) -> tuple[list[str], list[str]]:
    """(free-text columns for the FTS table, ASCII-only text columns) of ``table``."""
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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build(table: pa.Table, path: str, indexed: list[str]) -> list[str]:
    """Write the FTS5 file of ``table``; returns its free-text columns."""
    fts, ascii_only = text_columns(table, indexed)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=8192")
        con.execute("BEGIN")
        con.execute("CREATE TABLE meta(kind TEXT, name TEXT)")
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("fts", n) for n in fts] + [("ascii", n) for n in ascii_only]
        )
        if fts:
            cols = ", ".join(_quote(n) for n in fts)
            con.execute(f"CREATE VIRTUAL TABLE fts USING fts5({cols}, content='', tokenize='trigram')")
            # a big merge budget while loading: fewer, larger segments and no merges mid-load
            con.execute("INSERT INTO fts(fts, rank) VALUES ('automerge', 0)")
            con.execute("INSERT INTO fts(fts, rank) VALUES ('crisismerge', 64)")
            marks = ", ".join("?" for _n in range(len(fts) + 1))
            sql = f"INSERT INTO fts(rowid, {cols}) VALUES ({marks})"  # noqa: S608 - column names quoted, from the file's own header
            for start in range(0, table.num_rows, BATCH):
                chunk = table.slice(start, BATCH)
                lists = [range(start + 1, start + 1 + chunk.num_rows)] + [
                    chunk.column(n).to_pylist() for n in fts
                ]
                con.executemany(sql, zip(*lists, strict=True))
            con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        con.execute("COMMIT")
    finally:
        con.close()
    return fts


def _pairs(value: str | None) -> str | None:
    """The overlapping character pairs of a text, space-separated, lower-cased ("杭州市" ->
    "杭州 州市"); pairs with a space or punctuation come out as shorter tokens that no
    two-character query of ``_BIGRAM_CHAR`` characters can equal."""
    if not value or len(value) < 2:
        return None
    value = value.lower()
    return " ".join(map(str.__add__, value, value[1:]))


def build_bigrams(table: pa.Table, path: str, indexed: list[str]) -> list[str]:
    """Write the bigram FTS5 file of ``table`` (the free-text columns of ``build``): contentless,
    ``detail=column`` (a one-token query needs no positions), loaded with journaling and syncing
    off in big transactions (the file is a temporary one renamed into place when complete)."""
    fts, ascii_only = text_columns(table, indexed)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=8192")
        con.execute("BEGIN")
        con.execute("CREATE TABLE meta(kind TEXT, name TEXT)")
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("fts", n) for n in fts] + [("ascii", n) for n in ascii_only]
        )
        if fts:
            cols = ", ".join(_quote(n) for n in fts)
            con.execute(
                f"CREATE VIRTUAL TABLE bigram USING fts5({cols}, content='', detail='column', "
                "tokenize='unicode61 remove_diacritics 0')"
            )
            con.execute("INSERT INTO bigram(bigram, rank) VALUES ('automerge', 0)")
            con.execute("INSERT INTO bigram(bigram, rank) VALUES ('crisismerge', 64)")
            con.execute("INSERT INTO bigram(bigram, rank) VALUES ('pgsz', 8000)")
            marks = ", ".join("?" for _n in range(len(fts) + 1))
            sql = f"INSERT INTO bigram(rowid, {cols}) VALUES ({marks})"  # noqa: S608 - column names quoted, from the file's own header
            for start in range(0, table.num_rows, BATCH):
                chunk = table.slice(start, BATCH)
                lists = [range(start + 1, start + 1 + chunk.num_rows)] + [
                    list(map(_pairs, chunk.column(n).to_pylist())) for n in fts
                ]
                con.executemany(sql, zip(*lists, strict=True))
            con.execute("INSERT INTO bigram(bigram) VALUES ('optimize')")
        con.execute("COMMIT")
    finally:
        con.close()
    return fts


def bigram_path(fts_path: str) -> str:
    """The bigram file beside a variant's trigram file (``<variant>.fts.sqlite`` ->
    ``<variant>.bigram.sqlite``)."""
    return fts_path[: -len("fts.sqlite")] + "bigram.sqlite" if fts_path.endswith("fts.sqlite") else ""


def _connection(path: str) -> tuple[sqlite3.Connection, list[str], list[str]]:
    cache = getattr(_local, "connections", None)
    if cache is None:
        cache = _local.connections = {}
    found = cache.get(path)
    if found is None:
        uri = "file:" + path.replace("?", "%3f").replace("#", "%23") + "?mode=ro&immutable=1"
        con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        meta = con.execute("SELECT kind, name FROM meta").fetchall()
        found = (con, [n for k, n in meta if k == "fts"], [n for k, n in meta if k == "ascii"])
        if len(cache) > 32:
            cache.clear()
        cache[path] = found
    return found


def forget() -> None:
    """Close this thread's connections (after files were removed)."""
    for con, _f, _a in getattr(_local, "connections", {}).values():
        con.close()
    _local.connections = {}


def _ranked_source(path: str, q: str) -> tuple[sqlite3.Connection, str, list[str], list[str]] | None:
    """(connection, FTS table, its columns, ASCII-only columns) answering ``q``: the trigram
    table for 3 or more characters, the bigram table for 2 index characters; None otherwise."""
    if len(q) >= 3:
        con, fts, ascii_only = _connection(path)
        return con, "fts", fts, ascii_only
    if len(q) == 2 and all(_BIGRAM_CHAR.match(ch) for ch in q):
        other = bigram_path(path)
        if other and os.path.exists(other):
            con, fts, ascii_only = _connection(other)
            return con, "bigram", fts, ascii_only
    return None


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
    """A page of a search without filters or sort, from the text index without a row set in
    Python: (0-based positions of the page plus one, total). The first ``CANDIDATES`` matches (in
    row order) are ranked by the length of their shortest matching text, then by row; positions
    past them continue in row order. Unsupported when the general path is needed (one character,
    matches in row-index columns, no text index for the query)."""
    if len(q) < 2 or q.isascii() or (not re.search("[A-Za-z]", q) and (q.lower() != q or q.upper() != q)):
        raise Unsupported
    if rows is None:
        raise Unsupported
    source = _ranked_source(path, q)
    if source is None:
        raise Unsupported
    con, table, fts, ascii_only = source
    wanted = [c for c in searchable if c in fts]
    for name in searchable:
        if name in fts or name in ascii_only:
            continue
        col = index.columns.get(name)
        if col is None or col.kind != "text":
            raise Unsupported
        if col.n and pc.any(pc.match_substring(col.values, pattern=q, ignore_case=True)).as_py():
            raise Unsupported  # rows matched through the row index: the general path merges them
    if not wanted:
        raise Unsupported
    term = q.lower() if table == "bigram" else q
    expr = "{" + " ".join(_quote(c) for c in wanted) + "} : " + '"' + term.replace('"', '""') + '"'
    want = offset + limit + 1
    window = CANDIDATES
    found = con.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid LIMIT ?",  # noqa: S608 - a fixed table name
        (expr, window),
    ).fetchall()
    candidates = np.array([r for (r,) in found], dtype=np.int64) - 1
    ranked = candidates[_rank(candidates, q, wanted, rows)] if len(candidates) else candidates
    page_ = ranked[offset:want]
    if len(page_) < want - offset and len(candidates) == window:
        # past the ranked window: the following matches in row order
        skip = max(0, offset - window)
        more = con.execute(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid > ? ORDER BY rowid LIMIT ? OFFSET ?",  # noqa: S608 - a fixed table name
            (expr, int(candidates[-1]) + 1, want - offset - len(page_), skip),
        ).fetchall()
        page_ = np.concatenate([page_, np.array([r for (r,) in more], dtype=np.int64) - 1])
    total = None
    if count:
        if len(candidates) < window:
            total = len(candidates)
        else:
            total = con.execute(
                f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",  # noqa: S608 - a fixed table name
                (expr,),
            ).fetchone()[0]
    return page_, total


def _rank(candidates: np.ndarray, q: str, wanted: list[str], rows: pa.Table) -> np.ndarray:
    """The order of ``candidates`` (ascending positions): shortest matching text first, then row."""
    return np.lexsort((candidates, _lengths(candidates, q, wanted, rows)))


def _lengths(candidates: np.ndarray, q: str, wanted: list[str], rows: pa.Table) -> np.ndarray:
    """The length of each candidate's shortest text in ``wanted`` containing ``q`` (int64 max
    when none does)."""
    taken = pa.array(candidates)
    best = np.full(len(candidates), np.iinfo(np.int64).max, dtype=np.int64)
    letters = bool(re.search("[A-Za-z]", q))
    for name in wanted:
        values = rows.column(name).take(taken)
        hit = pc.fill_null(pc.match_substring(values, pattern=q, ignore_case=letters), False)
        lengths = pc.fill_null(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        hits = hit.to_numpy(zero_copy_only=False)
        best = np.where(hits, np.minimum(best, lengths), best)
    return best


def search(
    path: str, q: str, searchable: list[str], index: RowIndex, rows: pa.Table
) -> tuple[np.ndarray, np.ndarray]:
    """(mask of matching rows, rank key per row: lower is better) for ``q`` over ``searchable``."""
    if q.isascii() or (not re.search("[A-Za-z]", q) and (q.lower() != q or q.upper() != q)):
        raise Unsupported  # ASCII only: DuckDB's scan; other cased letters: DuckDB's case rules
    con, fts, ascii_only = _connection(path)
    n = index.rows
    mask = np.zeros(n, dtype=bool)
    score = np.full(n, np.inf)
    wanted = [c for c in searchable if c in fts]
    for name in searchable:
        if name in fts or name in ascii_only:
            continue
        col = index.columns.get(name)
        if col is None or col.kind != "text":
            raise Unsupported
        allowed = (
            pc.match_substring(col.values, pattern=q, ignore_case=bool(re.search("[A-Za-z]", q))).to_numpy(
                zero_copy_only=False
            )
            if col.n
            else []
        )
        lookup = np.zeros(col.n + 1, dtype=bool)
        lookup[: col.n] = allowed
        mask |= lookup[col.codes]
    if wanted:
        if len(q) >= 3:
            phrase = '"' + q.replace('"', '""') + '"'
            expr = "{" + " ".join(_quote(c) for c in wanted) + "} : " + phrase
            found = con.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expr,)).fetchall()
            if found:
                hits = np.fromiter((r for (r,) in found), dtype=np.int64, count=len(found)) - 1
                mask[hits] = True
        else:
            letters = bool(re.search("[A-Za-z]", q))
            for name in wanted:
                column = rows.column(name)
                hit = pc.fill_null(pc.match_substring(column, pattern=q, ignore_case=letters), False)
                mask |= hit.to_numpy(zero_copy_only=False)
    # the rank of ranked_page: the first CANDIDATES matches by their shortest matching text,
    # the rest after them in row order (inf: lexsort then orders by row)
    window = np.flatnonzero(mask)[:CANDIDATES]
    if len(window):
        none = np.iinfo(np.int64).max
        lengths = _lengths(window, q, wanted, rows) if wanted else np.full(len(window), none)
        # matched only through a row-index column: after the window's text matches
        score[window] = np.where(lengths == none, 1e18, lengths.astype(np.float64))
    return mask, score
