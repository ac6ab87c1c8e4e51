"""Services benchmarks: HTTP submissions with auto-fill, the staff worklist and the SLA scan over
many cases, and the combined status of a 4-part bundle.

Runs in a throwaway database (created and dropped here) on whatever DATABASE_URL points at; the
targets are for PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zt_services_bench .venv/bin/python bench/services.py
    ... bench/services.py --cases 1000000 --submissions 3000

The submissions go over real HTTP to gunicorn (gthread workers, keep-alive) from a threaded
client on the same machine (so the client's CPU counts against the server's 2 cores). The server
runs as deployed (``--server-env development``: DEBUG off, work after the commit queued for the
task worker); ``--server-env test`` runs that work inside each request, as this benchmark did
before 2026-12-03 (the source of the gap between its older and newer figures). Cases for
the worklist and the scan are bulk-loaded (COPY on PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROWS: list[tuple[str, ...]] = []


def row(measure: str, size: str, ours: str, target: str, note: str = "") -> None:
    ROWS.append((measure, size, ours, target, note))
    print(f"  {measure}: {ours} (target {target}) {note}", flush=True)


def pct(samples: list[float], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * p))]


# --- set-up ----------------------------------------------------------------------------------


def setup_world(persons: int, citizens: int):
    from _population import build_population

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.credentials import credential_digest
    from zhengtong.accounts.models import Credential, CredentialKind, Department, OrgUnit, User
    from zhengtong.registry.models import Licence, LicenceType, Person
    from zhengtong.services import demo

    pop = build_population(persons)
    system = pop.system
    xihu = OrgUnit.objects.get(code="330106")
    counties = list(OrgUnit.objects.filter(level="county").order_by("code"))
    for county in counties:
        for code, name in [
            ("scjg", "市场监督管理局"),
            ("gaj", "公安局"),
            ("xfjy", "消防救援大队"),
            ("sw", "税务局"),
        ]:
            if not Department.objects.filter(org_unit=county, code=code).exists():
                acc.department_create(actor=system, org_unit=county, code=code, name=county.name + name)
    scjg = Department.objects.get(org_unit=xihu, code="scjg")
    counter = acc.user_create(
        actor=system, username="bench_counter", password=None, kind="staff", org_unit=xihu
    )
    acc.role_grant(actor=system, user=counter, role="counter_staff", org_unit=xihu, department=scjg)
    # A registry with contact data filled in (the synthetic population has none).
    Person.objects.update(phone="13900000000", address="西湖区文三路1号")
    id_card = LicenceType.objects.create(code="id_card", name="居民身份证", holder_kind="person")
    gaj = Department.objects.get(org_unit=xihu, code="gaj")
    xihu_persons = list(Person.objects.filter(org_unit__path__startswith=xihu.path).order_by("id")[:citizens])
    Licence.objects.bulk_create(
        [
            Licence(
                licence_type=id_card,
                number=p.resident_id,
                holder_person=p,
                issuing_department=gaj,
                org_unit=xihu,
                valid_from=dt.date(2020, 1, 1),
                valid_to=dt.date(2040, 1, 1),
                state="valid",
            )
            for p in Person.objects.all().iterator()
        ],
        batch_size=5000,
    )
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench_citizen_{i}",
                kind="citizen",
                resident_id=p.resident_id,
                is_real_name=True,
                display_name=p.name,
                password="!",
            )
            for i, p in enumerate(xihu_persons)
        ]
    )
    tokens = []
    expires = timezone.now() + dt.timedelta(days=1)
    rows = []
    for i, user in enumerate(users):
        prefix = f"b{i:07d}"
        token = f"zt_{prefix}_benchtoken{i:010d}"
        tokens.append(token)
        rows.append(
            Credential(
                kind=CredentialKind.API_TOKEN,
                owner=user,
                name="bench",
                prefix=prefix,
                digest=credential_digest(token),
                scopes=["read", "write"],
                expires_at=expires,
            )
        )
    Credential.objects.bulk_create(rows)
    items = demo.publish_items(system, xihu)
    demo.publish_bundles(xihu)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "system": system,
        "xihu": xihu,
        "counter": counter,
        "users": users,
        "tokens": tokens,
        "items": items,
    }


# --- 1. HTTP submissions -----------------------------------------------------------------------


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the gunicorn master and its workers (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master_pid]
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True)
        pids += [int(p) for p in out.stdout.split()]
    except OSError:
        pass
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_test_db() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user = s.get("USER") or "postgres"
        auth = f"{user}:{s['PASSWORD']}@" if s.get("PASSWORD") else f"{user}@"
        return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def http_submissions(
    world,
    total: int,
    clients: int,
    workers: int,
    threads: int,
    seconds: int = 15,
    server_env: str = "development",
    port: int = 0,
) -> None:
    port = port or free_port()
    # "development" (DEBUG off) serves as a deployment does: work after the commit (notices, SMS,
    # the audit sequencer) goes to the task worker's queue. "test" runs it inside the request
    # (django-tasks' immediate backend), which is what this benchmark measured before 2026-12-03.
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_test_db(),
        "ZHENGTONG_ENV": server_env,
        "DEBUG": "0",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "zhengtong.wsgi",
            "-k",
            "sync" if threads <= 1 else "gthread",
            "-w",
            str(workers),
            "--threads",
            str(max(threads, 1)),
            "--keep-alive",
            "30",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        item_id = world["items"]["ZJ-SCJG-004"].pk
        tokens = world["tokens"]
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def worker(n: int, offset: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine = []
            for i in range(n):
                token = tokens[(offset + i) % len(tokens)]
                body = json.dumps({"data": {"shop_name": f"小店{offset + i}", "premises": "西湖区文三路1号"}})
                start = time.perf_counter()
                conn.request(
                    "POST",
                    f"/api/v1/services/{item_id}/applications",
                    body=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                resp = conn.getresponse()
                payload = resp.read()
                mine.append(time.perf_counter() - start)
                if resp.status != 201:
                    with lock:
                        errors.append(f"{resp.status} {payload[:200]!r}")
            with lock:
                latencies.extend(mine)

        def run(n_total: int) -> float:
            per = n_total // clients
            ts = [threading.Thread(target=worker, args=(per, k * per)) for k in range(clients)]
            start = time.perf_counter()
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            return time.perf_counter() - start

        run(clients * 10)  # warm-up: connections, imports, caches
        latencies.clear()
        from loadgen import postgres_cpu_seconds, wrk_requests

        cpu_before, pg_before = cpu_seconds(server.pid), postgres_cpu_seconds()
        requests = [
            (
                {"Authorization": f"Bearer {tokens[i % len(tokens)]}", "Content-Type": "application/json"},
                json.dumps(
                    {"data": {"shop_name": f"小店{i}", "premises": "西湖区文三路1号"}}, ensure_ascii=False
                ),
            )
            for i in range(len(tokens) * 3)
        ]
        # wrk (C) when installed (`make bench-tools`): the load generator then takes little of the
        # two cores; otherwise Python threads.
        result = wrk_requests(
            port, f"/api/v1/services/{item_id}/applications", requests, seconds=seconds, connections=clients
        )
        if result is not None:
            done, elapsed, client = result["requests"], result["requests"] / result["rps"], "wrk"
            p50_ms, p95_ms = result["p50_ms"], result["p95_ms"]
            if result["errors"]:
                errors.append(f"{result['errors']} non-2xx or socket errors")
        else:
            elapsed = run(total)
            done, client = len(latencies), "Python threads"
            p50_ms, p95_ms = statistics.median(latencies) * 1000, pct(latencies, 0.95) * 1000
        cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(done, 1)
        pg_ms = (postgres_cpu_seconds() - pg_before) * 1000 / max(done, 1)
        kind = "sync" if threads <= 1 else f"gthread/{threads}"
        row(
            "HTTP submission with auto-fill (POST /api/v1/services/{id}/applications)",
            f"{done} requests, {clients} connections from {client}, gunicorn {workers}×{kind}, "
            f"ZHENGTONG_ENV={server_env}",
            f"{done / elapsed:,.0f}/s, p50 {p50_ms:.0f} ms, p95 {p95_ms:.0f} ms",
            "≥ 200/s, p95 ≤ 150 ms",
            f"{len(errors)} errors"
            + (f": {errors[0]}" if errors else "")
            + f"; load average {os.getloadavg()[0]:.1f}",
        )
        row(
            "  CPU per submission",
            f"{done} requests",
            f"gunicorn {cpu_ms:.1f} ms, PostgreSQL {pg_ms:.1f} ms",
            "—",
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


# --- 2. bulk cases ---------------------------------------------------------------------------

CASE_COLUMNS = [
    "number", "item_id", "item_version_id", "applicant_id", "org_unit_id", "org_path", "department_id",
    "data", "sources", "materials", "correction_items", "fee_fen", "step_index", "decision_note",
    "state", "version", "sla_working_days", "sla_started_on", "sla_deadline", "sla_due_soon_on",
    "sla_state", "submitted_at", "created_at", "updated_at",
]  # fmt: skip


def bulk_cases(world, n: int) -> float:
    """``n`` cases, 85 % open, with clocks as yesterday's scan left them: the scan under test
    moves today's cohort (deadline passed yesterday → overdue; due-soon day reached → due soon),
    as the daily scan of a running platform does."""
    from zhengtong.accounts.models import Department, OrgUnit
    from zhengtong.services.models import Case

    rng = random.Random(42)
    today = dt.date.today()
    now = timezone.now().isoformat()
    units = {u.pk: u for u in OrgUnit.objects.filter(level="county")}
    depts = list(Department.objects.filter(org_unit_id__in=units).values_list("pk", "org_unit_id"))
    items = list(world["items"].values())
    users = [u.pk for u in world["users"]]
    from zhengtong.core.sla import _classify

    yesterday = today - dt.timedelta(days=1)
    states = (
        ["submitted"] * 40
        + ["accepted"] * 40
        + ["correction_requested"] * 5
        + ["completed"] * 12
        + ["refused"] * 3
    )
    start = time.perf_counter()

    def gen():
        for i in range(n):
            dept, unit_id = depts[i % len(depts)]
            item = items[i % len(items)]
            state = states[rng.randrange(len(states))]
            started = today - dt.timedelta(days=rng.randrange(0, 40))
            deadline = started + dt.timedelta(days=rng.randrange(1, 40))
            due_soon = deadline - dt.timedelta(days=2)
            if state in ("completed", "refused"):
                sla_state = "stopped"
            elif state == "correction_requested":
                sla_state = "paused"
            else:
                sla_state = str(_classify(deadline, due_soon, yesterday))
            yield (
                f"B{i:012d}", item.pk, item.current_version_id, users[i % len(users)], unit_id,
                units[unit_id].path, dept, "{}", "{}", "{}", "[]", 0, 0, "", state, 1, 5,
                started.isoformat(), deadline.isoformat(), due_soon.isoformat(), sla_state, now, now, now,
            )  # fmt: skip

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY services_case ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
                for r in gen():
                    copy.write_row(r)
            # As autovacuum keeps a live table: statistics and the visibility map (index-only scans).
            cursor.execute("VACUUM ANALYZE services_case")
    else:
        batch = []
        for r in gen():
            batch.append(Case(**dict(zip(CASE_COLUMNS, r, strict=True))))
            if len(batch) == 10000:
                Case.objects.bulk_create(batch)
                batch = []
        Case.objects.bulk_create(batch)
    return time.perf_counter() - start


def worklist_bench(world, n: int) -> None:
    from zhengtong.core.pagination import keyset_page
    from zhengtong.services import selectors

    counter = world["counter"]
    for view in ("open", "overdue"):
        samples = []
        queries = set()
        for i in range(60):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                page = keyset_page(
                    selectors.worklist(counter, view=view), order=["-id"], cursor=None, limit=20
                )
                [c.item.name for c in page.items]
                samples.append(time.perf_counter() - start)
            if i:
                queries.add(len(ctx.captured_queries))
        row(
            f"staff worklist, first page (view={view}, scoped to 西湖区 市场监管)",
            f"{n:,} cases",
            f"p50 {statistics.median(samples) * 1000:.1f} ms, p95 {pct(samples, 0.95) * 1000:.1f} ms, queries {sorted(queries)}",
            "p95 ≤ 100 ms, constant queries",
        )
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        selectors.worklist_counts(counter)
        samples.append(time.perf_counter() - start)
    row(
        "worklist counts per filter (one aggregate query)",
        f"{n:,} cases",
        f"p95 {pct(samples, 0.95) * 1000:.1f} ms",
        "—",
    )
    client = Client()
    client.force_login(counter)
    client.get("/api/v1/services/tasks")
    samples, queries = [], set()
    for _ in range(30):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            r = client.get("/api/v1/services/tasks?view=to_accept")
            samples.append(time.perf_counter() - start)
        assert r.status_code == 200, r.content[:300]
        queries.add(len(ctx.captured_queries))
    row(
        "GET /api/v1/services/tasks (page + counts, in-process)",
        f"{n:,} cases",
        f"p95 {pct(samples, 0.95) * 1000:.1f} ms, queries {sorted(queries)}",
        "constant queries",
    )


def scan_bench(n: int) -> None:
    from zhengtong.core import sla
    from zhengtong.services.models import Case

    open_cases = Case.objects.filter(sla_state__in=["on_time", "due_soon", "overdue", "paused"]).count()
    start = time.perf_counter()
    report = sla.sla_scan()
    elapsed = time.perf_counter() - start
    r = report.get("services.case", {})
    row(
        "overdue / due-soon scan (sla_scan, with escalation)",
        f"{n:,} cases, {open_cases:,} open",
        f"{elapsed:.2f} s ({r.get('overdue', 0):,} newly overdue, {r.get('due_soon', 0):,} due soon)",
        "≤ 5 s",
    )


def bundle_bench(world) -> None:
    from zhengtong.services import selectors, services
    from zhengtong.services.models import Bundle

    bundle = Bundle.objects.get(code="restaurant")
    bundle.items.set([world["items"][c] for c in ("ZJ-SCJG-004", "ZJ-GAJ-004", "ZJ-SCJG-001", "ZJ-GAJ-001")])
    user = world["users"][0]
    user.refresh_from_db()
    app = services.bundle_submit(
        actor=user,
        bundle=bundle,
        raw={
            "ZJ-SCJG-004.shop_name": "小店",
            "premises": "文三路1号",
            "ZJ-GAJ-004.residence": "文三路1号",
            "ZJ-SCJG-001.category": "N1",
            "ZJ-SCJG-001.training_org": "培训中心",
            "ZJ-GAJ-001.reason": "有效期满",
        },
    )
    with CaptureQueriesContext(connection) as ctx:
        status = selectors.bundle_status(user, app.pk)
        [(c.item.name, c.department.name, c.state_label) for c in status.parts]
    client = Client()
    client.force_login(user)
    client.get(f"/services/my/bundles/{app.pk}/")
    samples, queries = [], set()
    for _ in range(20):
        with CaptureQueriesContext(connection) as page_ctx:
            start = time.perf_counter()
            r = client.get(f"/services/my/bundles/{app.pk}/")
            samples.append(time.perf_counter() - start)
        assert r.status_code == 200
        queries.add(len(page_ctx.captured_queries))
    row(
        "combined status of a 4-part bundle",
        f"{len(status.parts)} parts",
        f"selector {len(ctx.captured_queries)} queries; page {sorted(queries)} queries, p95 {pct(samples, 0.95) * 1000:.1f} ms",
        "one page load, constant queries",
    )


def start_server(workers: int):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url_for_test_db(), "ZHENGTONG_ENV": "test", "DEBUG": "0"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "zhengtong.wsgi", "-k", "sync", "-w", str(workers),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return server, port


def track_bench(world, n: int, workers: int, seconds: int) -> None:
    """Public 办件查询 over HTTP: a stream of distinct case numbers with their check values (the
    last 6 characters of the applicant's ID), nothing cached (the answer is read per request)."""
    from loadgen import postgres_cpu_seconds, wrk_requests

    users = world["users"]
    rng = random.Random(7)
    picks = [rng.randrange(n) for _ in range(20_000)]
    paths = [
        f"/api/v1/services/track?number=B{i:012d}&check={users[i % len(users)].resident_id[-6:]}"
        for i in picks
    ]
    os.environ["SERVICES_TRACK_PER_MINUTE"] = "100000000"  # every request comes from one address
    server, port = start_server(workers)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", paths[0])
        first = c.getresponse()
        body = first.read()
        assert first.status == 200, (first.status, body[:300])
        cpu_before, pg_before = cpu_seconds(server.pid), postgres_cpu_seconds()
        result = wrk_requests(port, "/api/v1/services/track", [({}, "")] * len(paths), paths=paths,
                              seconds=seconds, connections=16, method="GET")  # fmt: skip
        if result is None:
            row(
                "public 办件查询 (GET /api/v1/services/track)",
                "-",
                "wrk not installed (make bench-tools)",
                "—",
            )
            return
        done = result["requests"]
        cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / max(done, 1)
        pg_ms = (postgres_cpu_seconds() - pg_before) * 1000 / max(done, 1)
        row(
            "public 办件查询, distinct case numbers (GET /api/v1/services/track)",
            f"{n:,} cases, {done} requests, 16 connections from wrk, gunicorn {workers}×sync",
            f"{result['rps']:,.0f}/s, p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms",
            "≥ 500/s, p95 ≤ 50 ms",
            f"{result['errors']} errors; CPU per request gunicorn {cpu_ms:.1f} ms, database {pg_ms:.1f} ms; "
            f"load average {os.getloadavg()[0]:.1f}",
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def notices_bench(world, count: int) -> None:
    """Sealed PDF notices: render (GB/T 9704, embedded font) and seal, per notice, one core."""
    from zhengtong.seals import services as seals
    from zhengtong.services import notices
    from zhengtong.services.models import Case

    cases = list(
        Case.objects.select_related(
            "item", "item_version", "department", "applicant", "applicant_entity", "licence"
        ).filter(state="refused")[:count]
    )
    if not cases:
        return
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for case in cases:
        title, pdf = notices.render(case, "refuse")
        seals.seal_document(department=case.department, kind="services.refusal",
                            reference=f"bench:{case.number}", title=title, pdf=pdf, via="services")  # fmt: skip
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    row(
        "sealed PDF decision (render after GB/T 9704 + ES256 seal + store)",
        f"{len(cases)} notices, one process",
        f"{len(cases) / cpu:,.0f} per CPU-second ({len(cases) / wall:,.0f}/s wall)",
        "≥ 50 per second per core",
        f"load average {os.getloadavg()[0]:.1f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="1: sync workers; more: gthread")
    parser.add_argument("--seconds", type=int, default=15, help="length of the wrk run")
    parser.add_argument("--http-only", action="store_true", help="only the HTTP submissions")
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--track-only", action="store_true", help="only bulk cases + 办件查询 + notices")
    parser.add_argument(
        "--server-env",
        choices=("development", "test"),
        default="development",
        help="the server's ZHENGTONG_ENV for the submissions: development (DEBUG off, after-commit work "
        "queued for the task worker, as deployed) or test (that work runs inside the request)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="the submissions server's port (default: any free port)"
    )
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print("setting up ...", flush=True)
        world = setup_world(args.persons, citizens=400)
        if args.track_only:
            bulk_cases(world, args.cases)
            track_bench(world, args.cases, args.workers, args.seconds)
            notices_bench(world, 300)
        else:
            http_submissions(
                world,
                args.submissions,
                args.clients,
                args.workers,
                args.threads,
                args.seconds,
                args.server_env,
                args.port,
            )
        if not args.http_only and not args.track_only:
            bundle_bench(world)
            print(f"bulk-loading {args.cases:,} cases ...", flush=True)
            seconds = bulk_cases(world, args.cases)
            row("bulk load of cases (COPY on PostgreSQL)", f"{args.cases:,} cases", f"{seconds:.1f} s", "—")
            worklist_bench(world, args.cases)
            track_bench(world, args.cases, args.workers, args.seconds)
            notices_bench(world, 300)
            scan_bench(args.cases)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    table = Table(title=f"Zhengtong services benchmarks ({connection.vendor}, {os.cpu_count()} cores)")
    for col in ("measure", "size", "ours", "target", "note"):
        table.add_column(col)
    for r in ROWS:
        table.add_row(*r)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
