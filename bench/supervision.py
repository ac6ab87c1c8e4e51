"""Supervision and credit benchmarks (pure computation, no database):

- the 双随机 draw of the issue: 1,000 targets over 1,000,000 entities in five strata (credit
  grades), population file built and hashed, targets by HMAC-SHA256 per stratum, then two
  inspectors per target from each of two departments' pools (200 officers) with exclusions;
- credit evaluation by the published model of 1,000,000 entities' facts (the CPU part of
  re-scoring; the database part, reading facts and upserting scores, is not measured here).

    .venv/bin/python bench/supervision.py            # 1,000,000 entities (BENCH_ENTITIES to change)

What it does not measure: reading the population from PostgreSQL (one indexed scan of the
legal-entity table plus the grade map) and writing 1,000 inspections; see docs/supervision.md.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from zhengtong.credit import scoring  # noqa: E402
from zhengtong.supervision import draw  # noqa: E402
from zhengtong.supervision.services import platforms  # noqa: E402

N = int(os.environ.get("BENCH_ENTITIES", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# stratum → (share of the population, per mille drawn): 1,000 targets at 1,000,000 entities.
STRATA = {"A": (0.10, 1), "B": (0.50, 1), "C": (0.25, 1), "D": (0.05, 3), "U": (0.10, 0)}


def population(n: int) -> list[tuple[str, str]]:
    rng = random.Random(1)
    rows = []
    bounds, acc = [], 0.0
    for s, (share, _p) in STRATA.items():
        acc += share
        bounds.append((acc, s))
    for i in range(n):
        x = rng.random()
        stratum = next(s for b, s in bounds if x <= b)
        rows.append((f"91330106{i:09d}X", stratum))
    return rows


def one_draw(rows: list[tuple[str, str]]) -> tuple[int, float, float, float]:
    c0 = time.process_time()
    t0 = time.perf_counter()
    data = draw.population_text(rows)
    digest = draw.sha256_hex(data)
    strata = draw.parse_population(data)
    t1 = time.perf_counter()
    seed = draw.new_seed()
    counts = {s: draw.stratum_count(len(m), STRATA[s][1]) for s, m in strata.items()}
    targets = draw.draw_targets(strata, seed, counts)
    pool = {
        "330106-scjg": [f"3301060{i:04d}" for i in range(120)],
        "330106-wjw": [f"3301061{i:04d}" for i in range(80)],
    }
    n = 0
    for rows_ in targets.values():
        for code, _mac in rows_:
            excluded = {pool["330106-scjg"][hash(code) % 120]}
            assert draw.draw_inspectors(seed, code, pool, excluded, 2) is not None
            n += 1
    t2 = time.perf_counter()
    assert digest
    return n, t1 - t0, t2 - t1, time.process_time() - c0


def scoring_run(n: int) -> float:
    rng = random.Random(2)
    kinds = ["penalty", "inspection_fail", "inspection_pass", "complaint"]
    facts = [
        scoring.Facts(events=[(rng.choice(kinds), rng.randint(1, 3)) for _ in range(rng.randint(0, 3))])
        for _ in range(n)
    ]
    t0 = time.perf_counter()
    for f in facts:
        scoring.evaluate(f)
    return time.perf_counter() - t0


def intake_run(n: int = 10_000) -> float:
    """Parse and validate a 10,000-row ride-order CSV against the published schema (the part of
    intake before the one INSERT of the accepted report and its alerts)."""
    lines = ["order_id,driver_licence_no,driver_licensed,vehicle_licensed,amount_fen,complaint"]
    lines += [f"O{i},L{i},true,true,{1000 + i},{'true' if i % 50 == 0 else 'false'}" for i in range(n)]
    body = "\n".join(lines).encode()
    t0 = time.perf_counter()
    _t, _p, rows = platforms._parse(body, "text/csv", "ride_orders", "2026-11")
    clean, errors = platforms._validate(platforms.REPORT_TYPES["ride_orders"][1], rows)
    assert len(clean) == n and not errors
    return time.perf_counter() - t0


def main() -> None:
    console = Console()
    rows = population(N)
    build, select, cpu, targets = [], [], [], 0
    for _ in range(RUNS):
        targets, b, s, c = one_draw(rows)
        build.append(b)
        select.append(s)
        cpu.append(c)
    total = [b + s for b, s in zip(build, select, strict=True)]
    score_s = scoring_run(N)
    table = Table(title=f"supervision bench ({N:,} entities, {RUNS} runs; load {os.getloadavg()[0]:.1f})")
    for col in ("operation", "size", "median s", "max s", "target"):
        table.add_column(col)
    table.add_row(
        "population file + SHA-256", f"{N:,}", f"{statistics.median(build):.2f}", f"{max(build):.2f}", ""
    )
    table.add_row(
        "targets (HMAC per stratum) + inspectors",
        f"{targets:,} of {N:,}",
        f"{statistics.median(select):.2f}",
        f"{max(select):.2f}",
        "",
    )
    table.add_row(
        "whole draw", f"{targets:,} of {N:,}", f"{statistics.median(total):.2f}", f"{max(total):.2f}", "≤ 2 s"
    )
    table.add_row(
        "whole draw, CPU time",
        f"{targets:,} of {N:,}",
        f"{statistics.median(cpu):.2f}",
        f"{max(cpu):.2f}",
        "",
    )
    table.add_row(
        "credit evaluation (model only)", f"{N:,}", f"{score_s:.2f}", f"{score_s:.2f}", "≤ 60 s incl. DB"
    )
    intake = intake_run()
    table.add_row(
        "platform CSV intake, parse + validate",
        "10,000 rows",
        f"{intake:.2f}",
        f"{intake:.2f}",
        "≤ 5 s incl. load",
    )
    console.print(table)
    console.print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
