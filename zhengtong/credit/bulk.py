"""Set-based re-scoring of the whole population (the nightly ``rescore_all``): the same published
model as ``scoring.evaluate``, computed for a million entities at a time.

Per chunk of entities (by id range):

1. the facts are read as aggregates, one grouped query each: registration status, credit events
   per (entity, kind) with their severity-weighted sum, and (once per run) licence states and live
   list entries;
2. the model is evaluated in numpy: a count matrix (entities × factors), points per factor
   clamped to their caps, score clamped to 0–100, grade by floors, D for the black list; the
   per-factor explanation (``CreditScore.factors``) is built only for entities with a factor;
3. the scores go to a temporary table with one COPY; one join finds the rows that differ from
   the stored ones, and only those are updated (or inserted): an unchanged score is not
   rewritten, so ``computed_at`` is when the current score was set;
4. entities whose grade changed fire ``credit.grades_changed`` once per chunk.

``tests/test_credit.py::test_bulk_rescore_equals_per_entity`` compares every stored score and
explanation with ``scoring.evaluate`` of ``services._facts_for`` on generated data."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, IntegerField, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from zhengtong.credit import scoring
from zhengtong.credit.hooks import run_grades_changed
from zhengtong.credit.models import CreditEvent, CreditScore, ListEntry, ListKind
from zhengtong.registry import selectors as registry_selectors

CODES = list(scoring.FACTORS)
COL = {code: i for i, code in enumerate(CODES)}
PER = np.array([scoring.FACTORS[c][1] for c in CODES], dtype=np.int64)
CAP = np.array([scoring.FACTORS[c][2] for c in CODES], dtype=np.int64)
NEGATIVE = PER < 0
CHUNK = 250_000


def _population(queryset) -> tuple[np.ndarray, np.ndarray]:
    """(ids ascending, inactive flags) of the entities to score: one query of two columns."""
    ids, inactive = [], []
    for pk, status in queryset.order_by("id").values_list("id", "status").iterator(chunk_size=50_000):
        ids.append(pk)
        inactive.append(status != "active")
    return np.array(ids, dtype=np.int64), np.array(inactive, dtype=bool)


def _run_facts(today: dt.date) -> tuple[dict[int, dict[str, int]], dict[int, set[str]]]:
    """Facts read once per run: licence states of entity holders and live list entries (both
    small tables next to the population)."""
    licences = registry_selectors.licence_state_counts(None)
    lists: dict[int, set[str]] = {}
    for pk, kind in ListEntry.objects.filter(
        removed_at__isnull=True, listed_on__lte=today, until__gte=today
    ).values_list("entity_id", "kind"):
        lists.setdefault(pk, set()).add(kind)
    return licences, lists


def evaluate_chunk(
    ids: np.ndarray,
    inactive: np.ndarray,
    *,
    since: dt.date,
    licences: dict[int, dict[str, int]],
    lists: dict[int, set[str]],
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(scores, grades, factors as JSON text) for the entities ``ids`` (ascending)."""
    n = len(ids)
    counts = np.zeros((n, len(CODES)), dtype=np.int64)
    counts[:, COL["registry_status"]] = inactive
    black = np.zeros(n, dtype=bool)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="<U1"), []
    lo, hi = int(ids[0]), int(ids[-1])

    def positions(pks: list[int]) -> tuple[np.ndarray, np.ndarray]:
        arr = np.array(pks, dtype=np.int64)
        pos = np.searchsorted(ids, arr)
        pos[pos >= n] = 0
        return pos, ids[pos] == arr

    rows = list(
        CreditEvent.objects.filter(
            entity_id__gte=lo, entity_id__lte=hi, occurred_on__gte=since, repaired_at__isnull=True
        )
        .values("entity_id", "kind")
        .annotate(n=Count("id"), w=Sum(Greatest("severity", Value(1), output_field=IntegerField())))
        .order_by()
        .values_list("entity_id", "kind", "n", "w")
    )
    if rows:
        pos, ok = positions([r[0] for r in rows])
        cols = np.array([COL.get(r[1], -1) for r in rows], dtype=np.int64)
        vals = np.array([r[3] if r[1] in scoring.SEVERITY_WEIGHTED else r[2] for r in rows], dtype=np.int64)
        ok &= cols >= 0
        np.add.at(counts, (pos[ok], cols[ok]), vals[ok])
    for state, code in (("suspended", "licence_suspended"), ("revoked", "licence_revoked")):
        held = [(pk, s[state]) for pk, s in licences.items() if lo <= pk <= hi and s.get(state)]
        if held:
            pos, ok = positions([pk for pk, _n in held])
            counts[pos[ok], COL[code]] = np.array([k for _pk, k in held], dtype=np.int64)[ok]
    listed = [(pk, kinds) for pk, kinds in lists.items() if lo <= pk <= hi]
    if listed:
        pos, ok = positions([pk for pk, _k in listed])
        is_black = np.array([ListKind.BLACK in k for _pk, k in listed], dtype=bool)
        is_red = np.array([any(x != ListKind.BLACK for x in k) for _pk, k in listed], dtype=bool)
        black[pos[ok & is_black]] = True
        counts[pos[ok & is_red], COL["red_list"]] = 1
    points = counts * PER
    points = np.where(NEGATIVE, np.maximum(CAP, points), np.minimum(CAP, points))
    scores = np.clip(scoring.BASE + points.sum(axis=1), 0, 100)
    grades = np.full(n, "D", dtype="<U1")
    for grade, floor in reversed(scoring.GRADE_FLOORS):
        grades[scores >= floor] = grade
    grades[black] = "D"
    factors = ["[]"] * n
    for i in np.flatnonzero(counts.any(axis=1)).tolist():
        row, pts = counts[i], points[i]
        factors[i] = json.dumps(
            [
                {"code": CODES[j], "count": int(row[j]), "points": int(pts[j])}
                for j in np.flatnonzero(row).tolist()
            ]
        )
    return scores, grades, factors


def _write(
    ids: np.ndarray, scores: np.ndarray, grades: np.ndarray, factors: list[str], now
) -> tuple[int, list]:
    """COPY the chunk's scores into a temporary table and write only what differs; returns
    (rows written, grade changes)."""
    table = CreditScore._meta.db_table
    with connection.cursor() as c:
        c.execute(
            "CREATE TEMP TABLE IF NOT EXISTS credit_rescore_in (entity_id bigint, score smallint, "
            "grade varchar(1), factors jsonb) ON COMMIT DROP"
        )
        c.execute("TRUNCATE credit_rescore_in")
        lines = "".join(
            f"{i}\t{s}\t{g}\t{f}\n"
            for i, s, g, f in zip(ids.tolist(), scores.tolist(), grades.tolist(), factors, strict=True)
        )
        with c.cursor.copy("COPY credit_rescore_in (entity_id, score, grade, factors) FROM STDIN") as copy:
            copy.write(lines)
        c.execute("ANALYZE credit_rescore_in")
        c.execute(
            f"""
            CREATE TEMP TABLE credit_rescore_diff ON COMMIT DROP AS
            SELECT t.entity_id, t.score, t.grade, t.factors, s.id AS score_id, s.grade AS old_grade
            FROM credit_rescore_in t
            LEFT JOIN {table} s ON s.entity_id = t.entity_id AND s.entity_id BETWEEN %s AND %s
            WHERE s.id IS NULL
               OR (s.score, s.grade, s.model_version, s.factors)
                  IS DISTINCT FROM (t.score, t.grade, %s, t.factors)
            """,  # noqa: S608 - the table name is our own model's
            [int(ids[0]), int(ids[-1]), scoring.MODEL_VERSION],
        )
        c.execute(
            f"""
            UPDATE {table} s SET score = d.score, grade = d.grade, factors = d.factors,
                model_version = %s, computed_at = %s
            FROM credit_rescore_diff d WHERE d.score_id = s.id
            """,  # noqa: S608
            [scoring.MODEL_VERSION, now],
        )
        written = c.rowcount
        c.execute(
            f"""
            INSERT INTO {table} (entity_id, score, grade, factors, model_version, computed_at)
            SELECT entity_id, score, grade, factors, %s, %s FROM credit_rescore_diff WHERE score_id IS NULL
            """,  # noqa: S608
            [scoring.MODEL_VERSION, now],
        )
        written += c.rowcount
        c.execute(
            "SELECT entity_id, old_grade, grade FROM credit_rescore_diff "
            "WHERE old_grade IS DISTINCT FROM grade ORDER BY entity_id"
        )
        changes = [tuple(r) for r in c.fetchall()]
        c.execute("DROP TABLE credit_rescore_diff")
    return written, changes


def _run_chunks(ids, inactive, starts, *, chunk, since, licences, lists, now) -> tuple[int, dict[str, int]]:
    written, transitions = 0, {}
    for start in starts:
        part, part_inactive = ids[start : start + chunk], inactive[start : start + chunk]
        scores, grades, factors = evaluate_chunk(
            part, part_inactive, since=since, licences=licences, lists=lists
        )
        with transaction.atomic():
            n, changes = _write(part, scores, grades, factors, now)
            run_grades_changed(changes)
        written += n
        for _pk, old, new in changes:
            key = f"{old or '-'}→{new}"
            transitions[key] = transitions.get(key, 0) + 1
    return written, transitions


def _forked(work_child, work_parent):
    """Run ``work_child`` in a forked child with its own database connection and ``work_parent``
    here, at the same time; (parent's result, child's result). The child's result comes back
    pickled through a pipe; if the child fails, its part is run here afterwards."""
    connections.close_all()  # each process opens its own connection
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        code = 1
        try:
            os.close(r)
            result = work_child()
            with os.fdopen(w, "wb") as out:
                out.write(pickle.dumps(result))
            code = 0
        finally:
            connections.close_all()
            os._exit(code)
    os.close(w)
    mine = work_parent()
    with os.fdopen(r, "rb") as inp:
        data = inp.read()
    _pid, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return mine, work_child()
    return mine, pickle.loads(data)  # noqa: S301 - our own child's bytes, through a private pipe


def rescore_population(queryset=None, *, now: Any = None, chunk: int = CHUNK) -> dict[str, Any]:
    """Re-score every entity of ``queryset`` (default: the active ones) set-based, one transaction
    per chunk. Outside a transaction and with two chunks or more, the chunks are shared by two
    processes (this one and a fork, each with its own connection; the hook fires in the process
    that wrote the chunk). Returns {"entities", "written", "grade_changes": {"B→C": n, ...}}."""
    if connection.vendor != "postgresql":  # SQLite (tests, small installs): the per-entity path
        from zhengtong.credit import services  # noqa: PLC0415 - services imports this module

        return services.rescore_population_small(queryset, now=now)
    now = now or timezone.now()
    today = timezone.localdate()
    since = today - dt.timedelta(days=365 * settings.CREDIT_LOOKBACK_YEARS)
    if queryset is None:
        queryset = registry_selectors.legal_entities_active()
    ids, inactive = _population(queryset)
    licences, lists = _run_facts(today)
    starts = list(range(0, len(ids), chunk))
    kw = {"chunk": chunk, "since": since, "licences": licences, "lists": lists, "now": now}
    parallel = (
        settings.CREDIT_RESCORE_PROCESSES > 1
        and len(starts) > 1
        and not connection.in_atomic_block
        and hasattr(os, "fork")
    )
    if parallel:
        (w1, t1), (w2, t2) = _forked(
            lambda: _run_chunks(ids, inactive, starts[1::2], **kw),
            lambda: _run_chunks(ids, inactive, starts[0::2], **kw),
        )
        written, transitions = w1 + w2, {k: t1.get(k, 0) + t2.get(k, 0) for k in {*t1, *t2}}
    else:
        written, transitions = _run_chunks(ids, inactive, starts, **kw)
    return {"entities": len(ids), "written": written, "grade_changes": dict(sorted(transitions.items()))}
