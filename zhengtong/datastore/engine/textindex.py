"""Chinese full-text search of a published variant: SQLite FTS5 with the trigram tokenizer.

Built once when a version is written (``build``) over the variant's free-text columns: text
columns too varied for the row index (names, addresses) that hold more than ASCII. The table is
contentless (the text itself stays in the Parquet and Arrow files), so the file holds only the
trigram postings. It is opened read-only and immutable (``file:...?mode=ro&immutable=1``), one
connection per thread.

``search`` answers ``q`` with the rows whose searchable columns contain it, ranked:

- 3 or more characters: an FTS5 phrase of trigrams (a substring match, case-insensitive as
  DuckDB's ``ILIKE``), ranked by bm25;
- 1 or 2 characters (no trigram exists): a vectorised substring scan of the memory-mapped Arrow
  copy (Arrow compute, several threads), ranked by the length of the shortest matching text
  (a match in a short name before one in a long address), then by row.

Text columns of the row index (districts, statuses, ...) are matched through their sorted distinct
values, and ASCII-only columns can never contain a query that has other characters. A query of
ASCII characters only, or a searchable column neither index covers, is not answered here
(``Unsupported``): the caller scans with DuckDB as before.
"""

from __future__ import annotations

import re
import sqlite3
import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zhengtong.datastore.engine.rowindex import RowIndex, Unsupported

_local = threading.local()
BATCH = 50_000


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
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=8192")
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
        con.commit()
    finally:
        con.close()
    return fts


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


def ranked_page(
    path: str, q: str, searchable: list[str], index: RowIndex, *, limit: int, offset: int, count: bool
) -> tuple[np.ndarray, int | None]:
    """A page of a search without filters or sort, straight from FTS5 (bm25 computed and ranked
    inside SQLite, no row set in Python): (0-based positions of the page plus one, total).
    Unsupported when the general path is needed (short query, matches in row-index columns)."""
    if len(q) < 3 or q.isascii() or (not re.search("[A-Za-z]", q) and (q.lower() != q or q.upper() != q)):
        raise Unsupported
    con, fts, ascii_only = _connection(path)
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
    expr = "{" + " ".join(_quote(c) for c in wanted) + "} : " + '"' + q.replace('"', '""') + '"'
    found = con.execute(
        "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank, rowid LIMIT ? OFFSET ?",
        (expr, limit + 1, offset),
    ).fetchall()
    total = (
        con.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (expr,)).fetchone()[0] if count else None
    )
    return np.array([r for (r,) in found], dtype=np.int64) - 1, total


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
            found = con.execute("SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ?", (expr,)).fetchall()
            if found:
                hits = np.fromiter((r for r, _s in found), dtype=np.int64, count=len(found)) - 1
                mask[hits] = True
                score[hits] = np.fromiter((s for _r, s in found), dtype=np.float64, count=len(found))
        else:
            letters = bool(re.search("[A-Za-z]", q))
            for name in wanted:
                column = rows.column(name)
                hit = pc.fill_null(pc.match_substring(column, pattern=q, ignore_case=letters), False)
                hits = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
                if len(hits):
                    lengths = pc.utf8_length(column.take(pa.array(hits))).to_numpy(zero_copy_only=False)
                    mask[hits] = True
                    score[hits] = np.minimum(score[hits], lengths.astype(np.float64))
    return mask, score
