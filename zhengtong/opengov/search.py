"""Chinese full-text search over disclosure documents, on SQLite and PostgreSQL alike.

Chinese has no spaces, so the text is cut into overlapping bigrams (两字切分: 政府信息 → 政府 府信 信息)
and Latin letters and digits into lower-case words; each term is written as an ASCII token
(``c<hex><hex>`` for a bigram, ``u<hex>`` for a lone Han character, ``w<word>``), so both databases'
standard tokenizers keep it whole whatever the locale. A query is cut the same way and searched as
a *phrase* of its tokens, i.e. consecutive bigrams: the phrase matches exactly the documents that
contain the query as a substring, and the engine ranks them.

- SQLite: an FTS5 table over ``grams_title`` and ``grams_body`` of ``opengov_document`` (external
  content: the terms are stored once, in the document row), ranked by ``bm25`` with the title
  weighted 10 to 1.
- PostgreSQL: a GIN index on the expression ``setweight(to_tsvector('simple', grams_title), 'A') ||
  setweight(to_tsvector('simple', grams_body), 'B')``, queried with ``phraseto_tsquery`` and ranked
  by ``ts_rank``.

Both are maintained in the transaction that writes the document (``index_document``).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TERM = re.compile(rf"[{_HAN}]+|[0-9a-z]+")
_IS_HAN = re.compile(rf"[{_HAN}]")
FTS_TABLE = "opengov_document_fts"
PG_VECTOR = "(setweight(to_tsvector('simple', grams_title), 'A') || setweight(to_tsvector('simple', grams_body), 'B'))"

SQLITE_SETUP = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(grams_title, grams_body, "
    "content='opengov_document', content_rowid='id', tokenize='unicode61')",
]
SQLITE_TEARDOWN = [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
PG_SETUP = [f"CREATE INDEX IF NOT EXISTS opengov_document_fts ON opengov_document USING GIN ({PG_VECTOR})"]
PG_TEARDOWN = ["DROP INDEX IF EXISTS opengov_document_fts"]


def _han(run: str) -> list[str]:
    if len(run) == 1:
        return [f"u{ord(run):x}"]
    return [f"c{ord(a):x}{ord(b):x}" for a, b in zip(run, run[1:], strict=False)]


def terms(text: str) -> list[str]:
    """The tokens of ``text`` in order: bigrams of each Han run, words of Latin letters/digits."""
    out: list[str] = []
    for match in _TERM.finditer((text or "").lower()):
        run = match.group()
        out.extend(_han(run) if _IS_HAN.match(run) else [f"w{run}"])
    return out


def grams_for(title: str, doc_number: str, body: str) -> tuple[str, str]:
    """What the index holds for a document: title and number; the first
    ``OPENGOV_SEARCH_BODY_CHARS`` characters of the text."""
    head = " ".join(terms(f"{title} {doc_number}"))
    return head, " ".join(terms(body[: settings.OPENGOV_SEARCH_BODY_CHARS]))


def index_document(doc, *, old: tuple[str, str] | None = None) -> None:
    """Bring the index up to date with ``doc`` (already saved with its grams); ``old`` are the
    grams it had before (SQLite's external-content table must be told what to remove)."""
    if connection.vendor != "sqlite":
        return  # PostgreSQL's expression index follows the row by itself.
    with connection.cursor() as cur:
        if old is not None:
            cur.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, grams_title, grams_body) "
                "VALUES('delete', %s, %s, %s)",
                [doc.pk, old[0], old[1]],
            )
        cur.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, grams_title, grams_body) VALUES (%s, %s, %s)",  # noqa: S608 - constants and whitelisted conditions; values are parameters
            [doc.pk, doc.grams_title, doc.grams_body],
        )


def rebuild() -> None:
    """Rebuild the whole index from the document rows (after a bulk load)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('rebuild')")


def _sqlite_query(tokens: list[str]) -> str:
    if len(tokens) == 1 and tokens[0].startswith("u"):
        # A single Han character: any bigram that starts with it, or the lone character.
        return f'"c{tokens[0][1:]}"* OR "{tokens[0]}"'
    return '"' + " ".join(tokens) + '"'


def search_ids(query: str, *, limit: int = 20, offset: int = 0, filter_sql: str = "", params=()) -> list[int]:
    """Ids of the documents containing ``query``, best first. ``filter_sql``: an extra condition
    on ``opengov_document`` (aliased ``d``) with its ``params``.

    Ranked among the ``OPENGOV_SEARCH_RANK_WINDOW`` newest matches: the engines read matches in
    id order and stop there, so a very common query (a bigram in most documents) costs a bounded
    amount of phrase checking and scoring instead of all of it."""
    tokens = terms(query)[:32]
    if not tokens:
        return []
    extra = f" AND {filter_sql}" if filter_sql else ""
    window = settings.OPENGOV_SEARCH_RANK_WINDOW
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                # Only constants and whitelisted conditions are interpolated; values are parameters.
                "SELECT id FROM ("  # noqa: S608
                f"SELECT f.rowid AS id, bm25({FTS_TABLE}, 10.0, 1.0) AS score, d.published_on AS pub "
                f"FROM {FTS_TABLE} f JOIN opengov_document d ON d.id = f.rowid "
                f"WHERE {FTS_TABLE} MATCH %s{extra} ORDER BY f.rowid DESC LIMIT %s"
                ") ORDER BY score, pub DESC LIMIT %s OFFSET %s",
                [_sqlite_query(tokens), *params, window, limit, offset],
            )
        else:
            if len(tokens) == 1 and tokens[0].startswith("u"):
                tsquery, arg = "to_tsquery('simple', %s)", f"c{tokens[0][1:]}:* | {tokens[0]}"
            else:
                tsquery, arg = "phraseto_tsquery('simple', %s)", " ".join(tokens)
            cur.execute(
                "SELECT id FROM ("  # noqa: S608
                f"SELECT d.id, ts_rank({PG_VECTOR}, q) AS score, d.published_on AS pub "
                f"FROM opengov_document d, {tsquery} q WHERE {PG_VECTOR} @@ q{extra} "
                "ORDER BY d.id DESC LIMIT %s"
                ") w ORDER BY score DESC, pub DESC LIMIT %s OFFSET %s",
                [arg, *params, window, limit, offset],
            )
        return [row[0] for row in cur.fetchall()]
