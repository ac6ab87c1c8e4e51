"""Supervision and credit benchmarks of issue 14 on PostgreSQL, on a database kept between runs
(``bench_h14``): the four targets in one table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 .venv/bin/python bench/supervision.py --prepare
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 .venv/bin/python bench/supervision.py --reuse

``--prepare`` builds the data (idempotent, about 10–20 minutes on a loaded machine): 10,000
entities of which 40 have 1,000 records each (200 each of credit events, penalty cases, grid
incidents, rated applications and sharing-log calls) and 40 have 10, two departments of 100
officers, then tops the registry up in SQL to ``--entities`` (1,000,000) with one to three credit
events for a fifth of them, scores everyone once (so every entity has a grade, the draw's strata)
and analyzes the tables.

``--reuse`` only measures (about 3–4 minutes on a quiet machine), in this order:

- credit re-scoring of every active entity (``credit.services.rescore_all``, set-based), twice:
  as the nightly run finds it (few scores change) and with every score to rewrite (the stored
  rows' model version is changed first, untimed);
- the 双随机 draw: ``plan_commit`` (population read, file, hashes, seed commitment) and
  ``plan_draw`` (1,000 targets in five strata over 1,000,000 entities, two inspectors per
  department from two departments, inspections written), ``--draws`` plans;
- the master record (一户一档) page and API over HTTP (gunicorn ``--workers`` sync workers, one
  keep-alive connection, ``--requests`` requests per row cycling through distinct entities, all
  uncached), entities with 1,000 and with 10 records, with the query count per request;
- platform report intake: a signed 10,000-row CSV through ``platform_report_submit`` (signature,
  parse, schema validation, report and alerts stored, rows loaded into the catalogue), 3 runs.

The table gives wall times, the CPU seconds of this process (Python; of gunicorn for the master
record) and of every local PostgreSQL process (/proc; other databases' work included), the
targets and the load average. ``--only rescore,draw,record,intake`` runs a subset; ``--pure``
runs the old pure-computation bench (``bench/supervision_pure.py``, no database).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PARTS = ("rescore", "draw", "record", "intake")


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (the forks of the draw and of
    re-scoring)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--prepare", action="store_true", help="build the data in DATABASE_URL (idempotent)")
    mode.add_argument("--reuse", action="store_true", help="measure only, on the data already built")
    mode.add_argument(
        "--pure", action="store_true", help="pure computation, no database (supervision_pure.py)"
    )
    p.add_argument("--entities", type=int, default=1_000_000, help="legal entities (1,000,000)")
    p.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    p.add_argument("--requests", type=int, default=100, help="master record requests per row (100)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    p.add_argument("--draws", type=int, default=2, help="plans committed and drawn (2)")
    args = p.parse_args()
    # What supervision_record's functions read.
    args.big, args.quiet_tables = 40, True
    return args


def prepare(args) -> None:
    import supervision_record  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415 - Django is set up first

    from zhengtong.accounts.models import OrgUnit  # noqa: PLC0415
    from zhengtong.credit import services as credit  # noqa: PLC0415
    from zhengtong.credit.models import CreditEvent, CreditScore  # noqa: PLC0415
    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415

    t = time.perf_counter()
    if not LegalEntity.objects.exists():
        base = argparse.Namespace(entities=10_000, big=40)
        supervision_record.build(base)
    have = LegalEntity.objects.count()
    if have < args.entities or not CreditEvent.objects.filter(source_ref__startswith="rescore:").exists():
        unit = OrgUnit.objects.get(code="330106")
        with connection.cursor() as c:
            c.execute(
                """
                INSERT INTO registry_legalentity (uscc, name, entity_type, legal_representative,
                    legal_rep_resident_id, registered_address, region_code, status, updated_at, org_unit_id)
                SELECT '92330106' || lpad(i::text, 9, '0') || 'X', '个体工商户' || i, '个体工商户', '王五', '',
                       '西湖区', '330106' || lpad((i %% 9 + 1)::text, 3, '0'), 'active', now(), %s
                FROM generate_series(%s::int, %s::int) AS i
                ON CONFLICT (uscc) DO NOTHING
                """,
                [unit.pk, 0, max(args.entities - have, 0) - 1],
            )
            c.execute(
                """
                INSERT INTO credit_creditevent (kind, severity, source_ref, summary, occurred_on,
                    created_at, entity_id, org_unit_id)
                SELECT (ARRAY['penalty','inspection_fail','inspection_pass','complaint'])[1 + ((e.id + k) % 4)::int],
                       1 + (e.id % 3), 'rescore:' || e.id || ':' || k, '基准', current_date - (e.id % 700)::int,
                       now(), e.id, e.org_unit_id
                FROM registry_legalentity e CROSS JOIN generate_series(0, 2) AS k
                WHERE e.id % 5 = 0 AND k <= e.id % 3
                ON CONFLICT (source_ref) DO NOTHING
                """
            )
    n = LegalEntity.objects.count()
    if CreditScore.objects.count() < n or CreditScore.objects.exclude(model_version=_model()).exists():
        credit.rescore_all()
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE registry_legalentity")
        c.execute("VACUUM ANALYZE credit_creditevent")
        c.execute("VACUUM ANALYZE credit_creditscore")
    print(f"prepared {n:,} entities in {time.perf_counter() - t:.0f} s (load {os.getloadavg()[0]:.1f})")


def _model() -> str:
    from zhengtong.credit import scoring  # noqa: PLC0415

    return scoring.MODEL_VERSION


def rescore() -> list[dict]:
    from django.db import connection  # noqa: PLC0415
    from loadgen import postgres_cpu_seconds  # noqa: PLC0415

    from zhengtong.audit.models import AuditEvent  # noqa: PLC0415
    from zhengtong.credit import services as credit  # noqa: PLC0415

    out = []
    for label in ("steady", "all rewritten"):
        if label == "all rewritten":
            with connection.cursor() as c:
                c.execute("UPDATE credit_creditscore SET model_version = 'bench-old'")
        c0, pg0, t0 = _cpu(), postgres_cpu_seconds(), time.perf_counter()
        n = credit.rescore_all()
        wall, cpu, pg = time.perf_counter() - t0, _cpu() - c0, postgres_cpu_seconds() - pg0
        written = (
            AuditEvent.objects.filter(action="credit.rescore")
            .order_by("-id")
            .values_list("after", flat=True)[0]
        )
        out.append(
            {"label": label, "n": n, "wall": wall, "cpu": cpu, "pg": pg, "written": written.get("written")}
        )
    with connection.cursor() as c:
        c.execute("VACUUM credit_creditscore")
    return out


def main() -> None:
    args = parse_args()
    if args.pure:
        sys.argv = [sys.argv[0]]
        import supervision_pure  # noqa: PLC0415

        supervision_pure.main()
        return
    import supervision_record  # noqa: PLC0415

    supervision_record.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415

    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14")
    call_command("migrate", verbosity=0)
    if args.prepare:
        prepare(args)
        return
    if LegalEntity.objects.count() < 20_000:
        raise SystemExit("no data: run with --prepare first")
    parts = [p for p in args.only.split(",") if p]
    load0, t_start = os.getloadavg()[0], time.perf_counter()
    table = Table(title=f"issue 14 on PostgreSQL ({connection.settings_dict['NAME']})")
    for col in ("measure", "size", "wall (median)", "max / p95", "CPU Python (+ its forks)", "CPU PostgreSQL (all)", "load",
                "target", "met"):  # fmt: skip
        table.add_column(col)

    def load() -> str:
        return f"{os.getloadavg()[0]:.1f}"

    if "rescore" in parts:
        for r in rescore():
            table.add_row(
                f"credit re-scoring, rescore_all ({r['label']}: {r['written']:,} rows written)",
                f"{r['n']:,} entities", f"{r['wall']:.1f} s", "", f"{r['cpu']:.1f} s", f"{r['pg']:.1f} s",
                load(), "≤ 60 s", "yes" if r["wall"] <= 60 else "no",
            )  # fmt: skip
    if "draw" in parts:
        d = supervision_record.draw(args, runs=args.draws)
        for step in ("plan_commit", "plan_draw"):
            s = d[step]
            table.add_row(
                f"{step} ({d['runs']} plans)" + (": targets + inspectors, inspections written" if step == "plan_draw"
                                                  else ": population read, file, hashes"),
                f"{d['targets']:,} of {d['population']:,}", f"{s['wall']:.2f} s", f"{s['max']:.2f} s",
                f"{s['cpu']:.2f} s", f"{s['pg']:.2f} s", load(),
                "≤ 2 s" if step == "plan_draw" else "(days before the draw)",
                ("yes" if s["wall"] <= 2 else "no") if step == "plan_draw" else "",
            )  # fmt: skip
    if "record" in parts:
        for r in supervision_record.measure(args):
            big = r["size"] == "1,000"
            table.add_row(
                f"master record {r['page']} over HTTP, {r['queries']} queries, {r['requests']} requests",
                f"{r['size']} records", f"p50 {r['p50']:.0f} ms", f"p95 {r['p95']:.0f} ms",
                f"{r['cpu']:.1f} ms/req (gunicorn)", f"{r['pg']:.1f} ms/req", load(),
                "p95 ≤ 200 ms, constant queries" if big else "", ("yes" if r["p95"] <= 200 else "no") if big else "",
            )  # fmt: skip
    if "intake" in parts:
        s = supervision_record.intake(args)
        table.add_row(
            f"platform report intake, signed CSV ({s['runs']} runs)", "10,000 rows", f"{s['wall']:.2f} s",
            f"{s['max']:.2f} s", f"{s['cpu']:.2f} s", f"{s['pg']:.2f} s", load(), "≤ 5 s",
            "yes" if s["wall"] <= 5 else "no",
        )  # fmt: skip
    Console(width=220).print(table)
    print(
        f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
        f"{time.perf_counter() - t_start:.0f} s in all"
    )


if __name__ == "__main__":
    main()
