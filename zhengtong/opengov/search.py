"""Chinese full-text search over disclosure documents, on SQLite and PostgreSQL alike.

Chinese has no spaces, so the text is cut into overlapping bigrams (两字切分: 政府信息 → 政府 府信 信息)
and Latin letters and digits into lower-case words; each term is written as an ASCII token
(``c<hex><hex>`` for a bigram, ``u<hex>`` for a lone Han character, ``w<word>``), so both databases'
standard tokenizers keep it whole whatever the locale. A query is cut the same way and searched as
a *phrase* of its tokens, i.e. consecutive bigrams: the phrase matches exactly the documents that
contain the query as a substring, and the engine ranks them.

Ranking (over *all* matches, at a bounded cost): a match in the title (or document number) ranks
before a match in the text only, and within each of the two tiers the newer document (higher id:
documents are registered as they are published) comes first. Each tier is read in id order,
newest first, and the engine stops after the rows the page needs, so a query whose bigrams occur
in most of a million documents reads a few dozen of them; a rare query reads its few matches.
Term-frequency scores (bm25, ts_rank) would need every match scored, which is what made common
two-character queries cost seconds; the tiers give the same order for what people look for in a
catalogue (the document *about* the words first, the current one before the old one).

- SQLite: an FTS5 table over ``grams_title`` and ``grams_body`` of ``opengov_document`` (external
  content: the terms are stored once, in the document row); a tier is a column filter
  (``grams_title : "…"``, then ``grams_body : "…" NOT grams_title : "…"``) read ``ORDER BY rowid
  DESC`` with a LIMIT, which FTS5 evaluates incrementally.
- PostgreSQL: two stored ``tsvector`` columns generated from the same columns (``fts_title``,
  ``fts_body``; added by migration 0004, unknown to the ORM), each with a GIN index, queried with
  ``phraseto_tsquery``; a tier is ``… ORDER BY id DESC LIMIT n``.

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

SQLITE_SETUP = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(grams_title, grams_body, "
    "content='opengov_document', content_rowid='id', tokenize='unicode61')",
]
SQLITE_TEARDOWN = [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
# Migration 0002 created a GIN expression index over both columns; 0004 replaces it by the two
# stored, generated columns below (a phrase match must re-check positions in the row: reading a
# stored vector is far cheaper than computing to_tsvector again for every candidate).
PG_SETUP = [
    "CREATE INDEX IF NOT EXISTS opengov_document_fts ON opengov_document USING GIN "
    "((setweight(to_tsvector('simple', grams_title), 'A') || setweight(to_tsvector('simple', grams_body), 'B')))"
]
PG_TEARDOWN = ["DROP INDEX IF EXISTS opengov_document_fts"]
PG_TIERS_SETUP = [
    "DROP INDEX IF EXISTS opengov_document_fts",
    "ALTER TABLE opengov_document ADD COLUMN fts_title tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', grams_title)) STORED",
    "ALTER TABLE opengov_document ADD COLUMN fts_body tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', grams_body)) STORED",
    "CREATE INDEX opengov_document_fts_title ON opengov_document USING GIN (fts_title)",
    "CREATE INDEX opengov_document_fts_body ON opengov_document USING GIN (fts_body)",
]
PG_TIERS_TEARDOWN = [
    "ALTER TABLE opengov_document DROP COLUMN IF EXISTS fts_title",
    "ALTER TABLE opengov_document DROP COLUMN IF EXISTS fts_body",
    *PG_SETUP,
]


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


def _sqlite_phrase(tokens: list[str]) -> str:
    if len(tokens) == 1 and tokens[0].startswith("u"):
        # A single Han character: any bigram that starts with it, or the lone character.
        return f'("c{tokens[0][1:]}"* OR "{tokens[0]}")'
    return '"' + " ".join(tokens) + '"'


def _pg_query(tokens: list[str]) -> tuple[str, str]:
    if len(tokens) == 1 and tokens[0].startswith("u"):
        return "to_tsquery('simple', %s)", f"c{tokens[0][1:]}:* | {tokens[0]}"
    return "phraseto_tsquery('simple', %s)", " ".join(tokens)


def _tier(cur, tier: int, tokens: list[str], n: int, extra: str, params) -> list[int]:
    """Ids of up to ``n`` documents of one tier (1: the title matches, 2: the text only), newest first."""
    if connection.vendor == "sqlite":
        phrase = _sqlite_phrase(tokens)
        match = (
            f"grams_title : {phrase}" if tier == 1 else f"grams_body : {phrase} NOT grams_title : {phrase}"
        )
        join = " JOIN opengov_document d ON d.id = f.rowid" if extra else ""
        cur.execute(
            # Only constants and whitelisted conditions are interpolated; values are parameters.
            f"SELECT f.rowid FROM {FTS_TABLE} f{join} WHERE {FTS_TABLE} MATCH %s{extra} "  # noqa: S608
            "ORDER BY f.rowid DESC LIMIT %s",
            [match, *params, n],
        )
    else:
        tsquery, arg = _pg_query(tokens)
        cond = "d.fts_title @@ q" if tier == 1 else "d.fts_body @@ q AND NOT d.fts_title @@ q"
        cur.execute(
            f"SELECT d.id FROM opengov_document d, {tsquery} q WHERE {cond}{extra} "  # noqa: S608
            "ORDER BY d.id DESC LIMIT %s",
            [arg, *params, n],
        )
    return [row[0] for row in cur.fetchall()]


def search_ids(query: str, *, limit: int = 20, offset: int = 0, filter_sql: str = "", params=()) -> list[int]:
    """Ids of the documents containing ``query``, best first (title matches, then text matches;
    newest first in each). ``filter_sql``: an extra condition on ``opengov_document`` (aliased
    ``d``) with its ``params``. The cost grows with ``offset + limit``, not with the number of
    matches."""
    tokens = terms(query)[:32]
    if not tokens or limit <= 0:
        return []
    extra = f" AND {filter_sql}" if filter_sql else ""
    with connection.cursor() as cur:
        first = _tier(cur, 1, tokens, offset + limit, extra, params)
        if len(first) == offset + limit:
            return first[offset:]
        # Fewer title matches than the page needs: len(first) is their exact count.
        rest = _tier(cur, 2, tokens, offset + limit - len(first), extra, params)
        return (first + rest)[offset : offset + limit]
