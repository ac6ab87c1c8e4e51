"""Supervision and credit benchmarks (pure computation, no database):

- the 双随机 draw of the issue: 1,000 targets over 1,000,000 entities in five strata (credit
  grades), population file built and hashed, targets by HMAC-SHA256 per stratum, then two
  inspectors per target from each of two departments' pools (200 officers) with exclusions;
- credit evaluation by the published model of 1,000,000 entities' facts (the CPU part of
  re-scoring; the database part, reading facts and upserting scores, is not measured here).

    .venv/bin/python bench/supervision.py            # 1,000,000 entities (BENCH_ENTITIES to change)

With ``--db`` the draw is measured end to end through the services in a throwaway database on
whatever DATABASE_URL points at (created and dropped here): BENCH_ENTITIES legal entities, 90 %
of them graded, two departments with 100 officers each; ``plan_commit`` (population read from
the database, file written and hashed, seed committed) and ``plan_draw`` (file re-hashed, targets
and inspectors drawn, 1,000 inspections and their inspector links written), wall and CPU time of
this process (the database server's own CPU is not in it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zt_h14 .venv/bin/python bench/supervision.py --db
    DATABASE_URL=sqlite:///var/bench_h14.sqlite3 .venv/bin/python bench/supervision.py --db

With ``--record``: the master record (一户一档) of an entity with 1,000 records (200 each of credit
events, penalty cases, grid incidents, rated applications and sharing-log calls) next to one with
10, console page and API, p50/p95 server time and query count (same DATABASE_URL rule).
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import usage_if_asked  # noqa: E402

if __name__ == "__main__":
    usage_if_asked(__doc__)  # before Django: asking for help runs nothing
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
    """At commitment: the population file and its hash; at the draw: the file re-hashed, targets
    per stratum straight from its bytes (as ``plan_draw``), inspectors per target."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    data = draw.population_text(rows)
    digest = draw.sha256_hex(data)
    t1 = time.perf_counter()
    assert draw.sha256_hex(data) == digest
    seed = draw.new_seed()
    targets = draw.draw_targets_from_file(
        data, seed, lambda sizes: {s: draw.stratum_count(n, STRATA[s][1]) for s, n in sizes.items()}
    )
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


def db_build(n: int):
    """Org units, two market-regulation departments with 100 officers each, one item, ``n``
    entities (bulk inserts) and grades for 90 % of them."""
    import datetime as dt

    from django.utils import timezone

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit
    from zhengtong.credit.models import CreditScore
    from zhengtong.registry.models import LegalEntity
    from zhengtong.supervision import services

    acc.org_units_load_tree(
        actor=None,
        tree={
            "code": "330000",
            "name": "浙江省",
            "level": "province",
            "children": [
                {
                    "code": "330100",
                    "name": "杭州市",
                    "level": "city",
                    "children": [{"code": "330106", "name": "西湖区", "level": "county"}],
                }
            ],
        },
    )
    system = acc.system_actor()
    county = OrgUnit.objects.get(code="330106")
    depts = [
        acc.department_create(actor=system, org_unit=county, code="scjg", name="西湖区市场监督管理局"),
        acc.department_create(actor=system, org_unit=county, code="wjw", name="西湖区卫生健康局"),
    ]
    manager = acc.user_create(actor=system, username="bench_sv", password=None, kind="staff", org_unit=county)
    for d in depts:
        acc.role_grant(actor=system, user=manager, role="supervision_manager", org_unit=county, department=d)
    items = []
    for i, d in enumerate(depts):
        for k in range(100):
            services.officer_register(
                actor=manager,
                department=d,
                number=f"33010{i}{k:04d}",
                name=f"执法员{i}-{k}",
                certificate_no=f"ZJ{i}{k:05d}",
                certificate_valid_to=dt.date(2030, 1, 1),
                residence_region="330106001" if k % 10 == 0 else "",
            )
        items.append(
            services.item_create(
                actor=manager,
                department=d,
                code=f"BENCH-{i}",
                name="检查",
                legal_basis="《食品安全法》",
                checklist=["持证"],
            )
        )
    rng = random.Random(3)
    now = timezone.now()
    grades = "AAABBBBBCCD"
    batch, scores = 20_000, []
    for start in range(0, n, batch):
        rows = [
            LegalEntity(
                uscc=f"91330106{i:09d}X",
                name=f"企业{i}",
                entity_type="有限责任公司",
                legal_representative="张三",
                registered_address="西湖区",
                region_code=f"330106{(i % 9) + 1:03d}",
                org_unit=county,
            )
            for i in range(start, min(n, start + batch))
        ]
        created = LegalEntity.objects.bulk_create(rows)
        if created[0].pk is None:  # SQLite before RETURNING support on bulk insert
            created = list(LegalEntity.objects.filter(uscc__in=[r.uscc for r in rows]))
        scores = [
            CreditScore(
                entity_id=e.pk,
                score=80,
                grade=rng.choice(grades),
                factors=[],
                model_version="b",
                computed_at=now,
            )
            for e in created
            if rng.random() < 0.9
        ]
        CreditScore.objects.bulk_create(scores)
    return manager, depts, items


def db_draw(console: Console) -> None:
    from django.db import connection
    from django.test.utils import setup_test_environment

    from zhengtong.supervision import services

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        t = time.perf_counter()
        manager, depts, items = db_build(N)
        console.print(
            f"built {N:,} entities in {time.perf_counter() - t:.0f} s (load {os.getloadavg()[0]:.1f})"
        )
        table = Table(
            title=f"draw on {connection.vendor} ({N:,} entities, {RUNS} plans; load {os.getloadavg()[0]:.1f})"
        )
        for col in ("step", "median wall s", "max wall s", "median CPU s", "target"):
            table.add_column(col)
        results: dict[str, list[tuple[float, float]]] = {"commit": [], "draw": [], "both": []}
        for run in range(RUNS):
            plan = services.plan_create(
                actor=manager,
                department=depts[0],
                joint_departments=[depts[1]],
                title=f"bench {run}",
                items=items,
                filters={},
                # 1,000 targets: A 1 ‰, B 1 ‰, C 1 ‰, D 2 ‰, U 1 ‰ of the strata here.
                permille={"A": 1, "B": 1, "C": 1, "D": 1, "U": 1},
                inspectors_per_department=2,
            )
            c0, t0 = time.process_time(), time.perf_counter()
            services.plan_commit(actor=manager, plan=plan)
            c1, t1 = time.process_time(), time.perf_counter()
            services.plan_draw(actor=manager, plan=plan)
            c2, t2 = time.process_time(), time.perf_counter()
            results["commit"].append((t1 - t0, c1 - c0))
            results["draw"].append((t2 - t1, c2 - c1))
            results["both"].append((t2 - t0, c2 - c0))
            targets = plan.inspections.count()
        for key, label in (
            ("commit", "plan_commit: population from the DB, file + SHA-256, seed commitment"),
            ("draw", f"plan_draw: {targets:,} targets + inspectors, inspections written"),
            ("both", "commit + draw"),
        ):
            walls = [w for w, _c in results[key]]
            cpus = [c for _w, c in results[key]]
            table.add_row(
                label,
                f"{statistics.median(walls):.2f}",
                f"{max(walls):.2f}",
                f"{statistics.median(cpus):.2f}",
                "≤ 2 s" if key == "both" else "",
            )
        console.print(table)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def record_build(manager, dept, entity, per_kind: int) -> int:
    """``per_kind`` each of credit events, penalty cases, grid incidents, rated cases and
    sharing-log calls about one entity (bulk inserts): 5 × ``per_kind`` records."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from zhengtong.accounts.models import OrgUnit
    from zhengtong.credit.models import CreditEvent
    from zhengtong.grid.categories import categories_ensure
    from zhengtong.grid.models import Category, Incident
    from zhengtong.services.models import Case, Rating, ServiceItem, ServiceItemVersion
    from zhengtong.sharing.models import Exchange, SharingProfile
    from zhengtong.supervision.models import PenaltyCase

    categories_ensure()
    county = OrgUnit.objects.get(code="330106")
    now, today = timezone.now(), timezone.localdate()
    CreditEvent.objects.bulk_create(
        CreditEvent(
            entity=entity,
            kind="complaint",
            source_ref=f"bench:{entity.pk}:{i}",
            summary=f"投诉{i}",
            occurred_on=today - dt.timedelta(days=i),
            org_unit=county,
        )
        for i in range(per_kind)
    )
    PenaltyCase.objects.bulk_create(
        PenaltyCase(
            number=f"BENCH-P{entity.pk}-{i:06d}",
            party_kind="entity",
            entity=entity,
            party_name=entity.name,
            facts="无证经营",
            org_unit=county,
            department=dept,
            filed_on=today,
            created_by=manager,
            state="filed",
        )
        for i in range(per_kind)
    )
    category = Category.objects.get(code="E0501")
    Incident.objects.bulk_create(
        Incident(
            category=category,
            org_unit=county,
            township=county,
            county=county,
            lat=30.25,
            lng=120.15,
            description="占道经营",
            attributes={"entity_uscc": entity.uscc},
            source="grid_worker",
            token=secrets.token_hex(8),
            reported_at=now,
            state="reported",
        )
        for _ in range(per_kind)
    )
    item, _new = ServiceItem.objects.get_or_create(
        code="BENCH-S",
        defaults={"name": "食品经营许可", "kind": "licensing", "department": dept, "org_unit": county},
    )
    version, _new = ServiceItemVersion.objects.get_or_create(
        item=item, number=1, defaults={"statutory_days": 20, "promised_days": 5}
    )
    cases = Case.objects.bulk_create(
        Case(
            number=f"BENCH-C{entity.pk}-{i:06d}",
            item=item,
            item_version=version,
            applicant=manager,
            applicant_entity=entity,
            org_unit=county,
            org_path=county.path,
            department=dept,
            state="completed",
        )
        for i in range(per_kind)
    )
    cases = list(Case.objects.filter(applicant_entity=entity))
    Rating.objects.bulk_create(
        Rating(case=c, applicant=manager, item=item, department=dept, org_unit=county, score=4) for c in cases
    )
    profile = SharingProfile.objects.filter(title="法人基本信息").first() or SharingProfile.objects.create(
        title="法人基本信息", department=dept, org_unit=county, fields=[]
    )
    Exchange.objects.bulk_create(
        Exchange(
            profile=profile,
            owner_department=dept,
            consumer_department=dept,
            mode="verify",
            on_behalf_of=c.number,
            request_sha256="0" * 64,
            response_sha256="0" * 64,
            outcome="ok",
            at=now,
        )
        for c in cases
    )
    return 5 * per_kind


def db_record(console: Console) -> None:
    """The master record page of an entity with 1,000 records: server time through the test
    client (no network), p50/p95 over BENCH_REQUESTS, its query count, and at 10 records."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from zhengtong.registry.models import LegalEntity

    setup_test_environment()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    requests = int(os.environ.get("BENCH_REQUESTS", "50"))
    try:
        manager, depts, _items = db_build(int(os.environ.get("BENCH_RECORD_ENTITIES", "10000")))
        small, big = LegalEntity.objects.order_by("id")[:2]
        sizes = {small.uscc: record_build(manager, depts[0], small, 2)}
        sizes[big.uscc] = record_build(manager, depts[0], big, 200)
        client = Client()
        client.force_login(manager)
        table = Table(
            title=f"master record on {connection.vendor} ({requests} requests each; load {os.getloadavg()[0]:.1f})"
        )
        for col in ("page", "records", "queries", "p50 ms", "p95 ms", "CPU ms/request", "target"):
            table.add_column(col)
        for uscc, n in sizes.items():
            for label, url in (
                ("console page", f"/console/supervision/entities/{uscc}/"),
                ("API", f"/api/v1/supervision/entities/{uscc}"),
            ):
                client.get(url)
                count = [0]

                def counter(execute, sql, params, many, context, count=count):
                    count[0] += 1
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(counter):
                    assert client.get(url).status_code == 200
                times = []
                c0 = time.process_time()
                for _ in range(requests):
                    t = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                cpu = (time.process_time() - c0) * 1000 / requests
                times.sort()
                table.add_row(
                    label,
                    f"{n:,}",
                    str(count[0]),
                    f"{statistics.median(times):.0f}",
                    f"{times[int(0.95 * (len(times) - 1))]:.0f}",
                    f"{cpu:.0f}",
                    "p95 ≤ 200 ms",
                )
        console.print(table)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    console = Console()
    if "--db" in sys.argv:
        db_draw(console)
        return
    if "--record" in sys.argv:
        db_record(console)
        return
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
