"""The enterprise master record (一户一档) over HTTP, on a database that is kept between runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 \\
        .venv/bin/python bench/supervision_record.py            # build, then measure
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 \\
        .venv/bin/python bench/supervision_record.py --reuse    # measure only (data kept)

The database named by DATABASE_URL is used as it is (not a throwaway copy): it is migrated, and
unless ``--reuse`` is given, filled with ``--entities`` entities (10,000 by default) of which
``--big`` (40) have 1,000 records each (200 each of credit events, penalty cases, grid incidents,
rated applications and sharing-log calls) and ``--big`` have 10. ``--reuse`` only migrates (new
migrations apply) and measures, about a minute.

The measurement starts gunicorn (``--workers`` sync workers, ZHENGTONG_ENV=test, DEBUG off) on a
free port and sends, over real HTTP with keep-alive, a stream of requests for DISTINCT entities
(cycling through the ``--big`` entities, so consecutive requests never ask for the same one) to
the console page ``/console/supervision/entities/<uscc>/`` and the API
``/api/v1/supervision/entities/<uscc>`` as a supervision manager (a session cookie). Nothing on
these pages is cached, so every request is uncached; the first round is reported apart as the
cold one. It prints p50/p95 latency, the query count per request (the ``X-Queries`` count the
bench reads from a second in-process request) and the CPU time per request of the gunicorn
processes and of PostgreSQL (/proc, same machine), with the load average.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (the forks of the draw and of
    re-scoring)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reuse", action="store_true", help="measure only: keep the data already built")
    p.add_argument("--entities", type=int, default=10_000, help="entities in the registry (10,000)")
    p.add_argument("--big", type=int, default=40, help="entities with 1,000 records, and with 10 (40)")
    p.add_argument("--requests", type=int, default=200, help="requests per page and size (200)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    p.add_argument("--profile", action="store_true", help="in-process cProfile of one big page, no HTTP")
    p.add_argument(
        "--draw",
        action="store_true",
        help="instead: plan_commit and plan_draw over every entity of the database (1,000 targets)",
    )
    p.add_argument(
        "--intake",
        action="store_true",
        help="instead: platform report intake, a signed 10,000-row CSV validated, stored and loaded",
    )
    return p.parse_args()


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    os.environ.setdefault("ZHENGTONG_ENV", "test")
    import django  # noqa: PLC0415 - only after the settings are chosen

    django.setup()


def build(args) -> None:
    from supervision_pure import db_build, record_build  # noqa: PLC0415 - Django is set up first

    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415

    t = time.perf_counter()
    manager, depts, _items = db_build(args.entities)
    entities = list(LegalEntity.objects.order_by("id")[: 2 * args.big])
    for e in entities[: args.big]:
        record_build(manager, depts[0], e, 200)
    for e in entities[args.big :]:
        record_build(manager, depts[0], e, 2)
    print(f"built in {time.perf_counter() - t:.0f} s")


def targets(args) -> tuple[list[str], list[str]]:
    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415

    codes = list(LegalEntity.objects.order_by("id").values_list("uscc", flat=True)[: 2 * args.big])
    return codes[: args.big], codes[args.big :]


def session_cookie() -> str:
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench_sv"))
    return client.cookies["sessionid"].value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_count(path: str) -> int:
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from zhengtong.accounts.models import User  # noqa: PLC0415

    client = Client()
    client.force_login(User.objects.get(username="bench_sv"))
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def measure(args) -> None:
    from _common import database_url, p95, tree_cpu_seconds  # noqa: PLC0415
    from loadgen import postgres_cpu_seconds  # noqa: PLC0415
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    big, small = targets(args)
    cookie = session_cookie()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "ZHENGTONG_ENV": "test", "DEBUG": "0"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "zhengtong.wsgi", "-k", "sync", "-w", str(args.workers),
         "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    headers = {"Cookie": f"sessionid={cookie}", "Accept-Encoding": "gzip"}
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def get(path: str) -> float:
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise SystemExit(f"{path}: {r.status} {body[:300]!r}")
            return (time.perf_counter() - t) * 1000

        table = Table(
            title=f"master record over HTTP on PostgreSQL-or-not ({database_url().split('/')[-1]}), "
            f"gunicorn {args.workers}×sync, one connection, distinct entities"
        )
        for col in ("page", "records", "queries", "cold p50 ms", "p50 ms", "p95 ms", "gunicorn CPU ms/req",
                    "database CPU ms/req", "load", "target"):  # fmt: skip
            table.add_column(col)
        out = []
        for label, fmt in (
            ("console page", "/console/supervision/entities/{}/"),
            ("API", "/api/v1/supervision/entities/{}"),
        ):
            for size, codes in (("1,000", big), ("10", small)):
                cold = [get(fmt.format(code)) for code in codes]  # first request for each
                times = []
                c0, pg0 = tree_cpu_seconds(server.pid), postgres_cpu_seconds()
                for i in range(args.requests):
                    times.append(get(fmt.format(codes[i % len(codes)])))
                cpu = (tree_cpu_seconds(server.pid) - c0) * 1000 / args.requests
                pg = (postgres_cpu_seconds() - pg0) * 1000 / args.requests
                queries = query_count(fmt.format(codes[0]))
                out.append(
                    {"page": label, "size": size, "queries": queries, "p50": statistics.median(times),
                     "p95": p95(times), "cpu": cpu, "pg": pg, "requests": args.requests}
                )  # fmt: skip
                table.add_row(
                    label,
                    size,
                    str(queries),
                    f"{statistics.median(cold):.0f}",
                    f"{statistics.median(times):.0f}",
                    f"{p95(times):.0f}",
                    f"{cpu:.1f}",
                    f"{pg:.1f}",
                    f"{os.getloadavg()[0]:.1f}",
                    "p95 ≤ 200 ms" if size == "1,000" else "",
                )
        if not getattr(args, "quiet_tables", False):
            Console(width=200).print(table)
        return out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def profile(args) -> None:
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    from django.test import Client  # noqa: PLC0415

    from zhengtong.accounts.models import User  # noqa: PLC0415

    big, _small = targets(args)
    client = Client()
    client.force_login(User.objects.get(username="bench_sv"))
    for path in (f"/console/supervision/entities/{big[0]}/", f"/api/v1/supervision/entities/{big[0]}"):
        client.get(path)
        prof = cProfile.Profile()
        prof.enable()
        for code in big[:10]:
            client.get(path.replace(big[0], code))
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)


def intake(args, runs: int = 3) -> None:
    """``platform_report_submit`` of a signed 10,000-row ride-order CSV for last month, each run
    by a newly registered platform (so no run is a duplicate): signature, parse, schema
    validation, the report and its alerts stored, and the rows loaded into the catalogue (the
    test settings run the load job at commit, inside the call)."""
    import datetime as dt  # noqa: PLC0415

    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from django.conf import settings  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415
    from loadgen import postgres_cpu_seconds  # noqa: PLC0415

    from zhengtong.accounts import services as acc  # noqa: PLC0415
    from zhengtong.accounts.models import Department, OrgUnit, User  # noqa: PLC0415
    from zhengtong.core import keys  # noqa: PLC0415
    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415
    from zhengtong.supervision import services  # noqa: PLC0415
    from zhengtong.supervision.models import Platform  # noqa: PLC0415

    settings.SUPERVISION_PLATFORM_REPORT_DAYS = 400
    root = OrgUnit.objects.get(code="330000")
    if not Department.objects.filter(org_unit=root, code="dsj").exists():
        acc.department_create(
            actor=acc.system_actor(), org_unit=root, code="dsj", name="浙江省大数据发展管理局"
        )
    manager = User.objects.get(username="bench_sv")
    dept = Department.objects.get(code="scjg", org_unit__code="330106")
    period = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    lines = ["order_id,driver_licence_no,driver_licensed,vehicle_licensed,amount_fen,complaint"]
    lines += [f"O{i},L{i},true,{'false' if i % 997 == 0 else 'true'},{1000 + i},{'true' if i % 50 == 0 else 'false'}"
              for i in range(10_000)]  # fmt: skip
    body = "\n".join(lines).encode()
    taken = set(Platform.objects.values_list("entity_id", flat=True))
    free = LegalEntity.objects.exclude(pk__in=taken).order_by("-id")[:runs]
    rows = []
    for entity in free:
        private = keys.generate()
        pem = (
            private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        services.platform_register(
            actor=manager, entity=entity, kind="ride_hailing", public_key_pem=pem, department=dept
        )
        signature = keys.b64url(keys.sign_es256(private, body))
        c0, pg0, t0 = _cpu(), postgres_cpu_seconds(), time.perf_counter()
        report, created = services.platform_report_submit(
            uscc=entity.uscc, body=body, signature=signature, content_type="text/csv",
            report_type="ride_orders", period=period,
        )  # fmt: skip
        rows.append((time.perf_counter() - t0, _cpu() - c0, postgres_cpu_seconds() - pg0))
        assert created and report.row_count == 10_000, report
        result = report.catalogue_result
    walls = sorted(r[0] for r in rows)
    summary = {
        "wall": statistics.median(walls), "max": walls[-1], "cpu": statistics.median(r[1] for r in rows),
        "pg": statistics.median(r[2] for r in rows), "runs": runs,
    }  # fmt: skip
    if getattr(args, "quiet_tables", False):
        return summary
    print(
        f"platform intake, 10,000-row CSV ({runs} runs, load {os.getloadavg()[0]:.1f}): "
        f"median {statistics.median(walls):.2f} s, max {walls[-1]:.2f} s, "
        f"CPU {statistics.median(r[1] for r in rows):.2f} s (Python), "
        f"{statistics.median(r[2] for r in rows):.2f} s (PostgreSQL, all); catalogue: {result}; target ≤ 5 s"
    )
    return summary


def draw(args, runs: int = 2) -> None:
    """A joint plan over the whole database (1,000,000 entities once ``bench/credit_rescore.py``
    has topped it up, all graded): ``plan_commit`` (population read, file written and hashed,
    seed committed) and ``plan_draw`` (file re-hashed, 1 ‰ of each grade drawn, two inspectors
    per department from each of two departments of 100 officers, inspections written)."""
    from loadgen import postgres_cpu_seconds  # noqa: PLC0415

    from zhengtong.accounts.models import Department, User  # noqa: PLC0415
    from zhengtong.supervision import services  # noqa: PLC0415
    from zhengtong.supervision.models import SupervisionItem  # noqa: PLC0415

    manager = User.objects.get(username="bench_sv")
    depts = list(
        Department.objects.filter(org_unit__code="330106", code__in=["scjg", "wjw"]).order_by("code")
    )
    items = list(SupervisionItem.objects.filter(code__startswith="BENCH-"))
    out = []
    for run in range(runs):
        plan = services.plan_create(
            actor=manager, department=depts[0], joint_departments=depts[1:], title=f"bench draw {run}",
            items=items, filters={}, permille={"A": 1, "B": 1, "C": 1, "D": 1, "U": 1},
            inspectors_per_department=2,
        )  # fmt: skip
        c0, pg0, t0 = _cpu(), postgres_cpu_seconds(), time.perf_counter()
        services.plan_commit(actor=manager, plan=plan)
        c1, pg1, t1 = _cpu(), postgres_cpu_seconds(), time.perf_counter()
        services.plan_draw(actor=manager, plan=plan)
        c2, pg2, t2 = _cpu(), postgres_cpu_seconds(), time.perf_counter()
        out.append((t1 - t0, c1 - c0, pg1 - pg0, t2 - t1, c2 - c1, pg2 - pg1, plan.population_size))
        n = plan.inspections.count()
    summary = {
        label: {"wall": statistics.median(r[k] for r in out), "max": max(r[k] for r in out),
                "cpu": statistics.median(r[k + 1] for r in out), "pg": statistics.median(r[k + 2] for r in out)}
        for label, k in (("plan_commit", 0), ("plan_draw", 3))
    }  # fmt: skip
    summary["targets"], summary["population"], summary["runs"] = n, out[0][6], runs
    if getattr(args, "quiet_tables", False):
        return summary
    for label, k in (("plan_commit", 0), ("plan_draw", 3)):
        print(
            f"{label} ({out[0][6]:,} entities, {n:,} targets, {runs} runs, load {os.getloadavg()[0]:.1f}): "
            f"wall median {statistics.median(r[k] for r in out):.2f} s, "
            f"CPU {statistics.median(r[k + 1] for r in out):.2f} s (Python), "
            f"{statistics.median(r[k + 2] for r in out):.2f} s (PostgreSQL, all)"
            + ("; target ≤ 2 s" if k else "")
        )
    return summary


def main() -> None:
    args = parse_args()
    setup()
    from django.core.management import call_command  # noqa: PLC0415

    from zhengtong.registry.models import LegalEntity  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    if not args.reuse or not LegalEntity.objects.exists():
        if LegalEntity.objects.exists():
            raise SystemExit("the database has data: pass --reuse to measure it, or drop it first")
        build(args)
    if args.intake:
        intake(args)
    elif args.draw:
        draw(args)
    elif args.profile:
        profile(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
