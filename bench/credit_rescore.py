"""Credit re-scoring of 1,000,000 entities on PostgreSQL (``credit.services.rescore_all``: read
every active entity's facts, evaluate the published model, upsert the scores), on a database kept
between runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 .venv/bin/python bench/credit_rescore.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 .venv/bin/python bench/credit_rescore.py --reuse

The database is used as it is (PostgreSQL only): migrated, then, unless ``--reuse``, topped up in
SQL (``INSERT … SELECT generate_series``) to ``--entities`` legal entities (1,000,000) in one
county, with one to three credit events (penalty, failed or passed inspection, complaint) for a
fifth of them. It needs the org unit 330106, e.g. from ``bench/supervision_record.py`` run first on
the same database. ``--reuse`` only measures: ``--runs`` (2) runs of ``rescore_all()``, wall time,
CPU time of this process and of PostgreSQL (/proc, same machine), with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reuse", action="store_true", help="measure only: keep the data already built")
    p.add_argument("--entities", type=int, default=1_000_000, help="legal entities (1,000,000)")
    p.add_argument("--runs", type=int, default=2, help="runs of rescore_all (2)")
    p.add_argument(
        "--sample",
        type=int,
        default=0,
        help="re-score only the first N entities with rescore() (the chunks rescore_all runs) and "
        "scale the times to all of them; 0 (the default): rescore_all() itself",
    )
    args = p.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    os.environ.setdefault("ZHENGTONG_ENV", "test")
    import django  # noqa: PLC0415 - after the settings are chosen

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection, transaction  # noqa: PLC0415
    from loadgen import postgres_cpu_seconds  # noqa: PLC0415
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from zhengtong.accounts.models import OrgUnit  # noqa: PLC0415
    from zhengtong.credit import services  # noqa: PLC0415
    from zhengtong.credit.models import CreditEvent  # noqa: PLC0415
    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415

    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only (DATABASE_URL=postgres://…)")
    call_command("migrate", verbosity=0)
    have = LegalEntity.objects.count()
    built = CreditEvent.objects.filter(source_ref__startswith="rescore:").exists()
    if not args.reuse and (have < args.entities or not built):
        unit = OrgUnit.objects.get(code="330106")
        t = time.perf_counter()
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
            c.execute("ANALYZE registry_legalentity; ANALYZE credit_creditevent; ANALYZE credit_creditscore")
        print(f"topped up to {LegalEntity.objects.count():,} entities in {time.perf_counter() - t:.0f} s")
    n = LegalEntity.objects.count()
    scale = n / args.sample if args.sample else 1.0
    walls, cpus, pgs = [], [], []
    for _ in range(args.runs):
        c0, pg0, t0 = time.process_time(), postgres_cpu_seconds(), time.perf_counter()
        if args.sample:
            ids = list(LegalEntity.objects.order_by("id").values_list("id", flat=True)[: args.sample])
            with transaction.atomic():
                scored = services.rescore(entity_ids=ids)
        else:
            scored = services.rescore_all()
        walls.append((time.perf_counter() - t0) * scale)
        cpus.append((time.process_time() - c0) * scale)
        pgs.append((postgres_cpu_seconds() - pg0) * scale)
    table = Table(title=f"credit re-scoring on PostgreSQL ({n:,} entities; load {os.getloadavg()[0]:.1f})")
    for col in ("operation", "entities scored", "median wall s", "max wall s", "CPU s (Python)",
                "CPU s (PostgreSQL, all)", "target"):  # fmt: skip
        table.add_column(col)
    table.add_row(
        f"rescore() of {args.sample:,}, times scaled ×{scale:.0f} to {n:,}"
        if args.sample
        else "rescore_all(): facts read, model, scores upserted",
        f"{scored:,}",
        f"{statistics.median(walls):.1f}",
        f"{max(walls):.1f}",
        f"{statistics.median(cpus):.1f}",
        f"{statistics.median(pgs):.1f}",
        "≤ 60 s on 2 cores",
    )
    Console(width=180).print(table)


if __name__ == "__main__":
    main()
