"""Sharing benchmarks (issue 11's four targets), on PostgreSQL, with prepared data.

    .venv/bin/python bench/sharing.py --prepare     # once: data into bench_h11 (several minutes)
    .venv/bin/python bench/sharing.py --reuse       # measure only (~2-3 min wall)
    .venv/bin/python bench/sharing.py --help

--prepare migrates BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_h11) and
fills it: an org tree, the population registry of 西湖区 (BENCH_PERSONS persons, default 200,000)
with a verification grant and its key, and the 1,000,000-row enterprise registry loaded through
the catalogue's real load path, published, shared (profile with key and region fields), an
interface grant with a row scope (西湖区 330106) and its key, and an approved sandbox project.
Its files (Parquet, keys, the secret) live in BENCH_VAR_DIR (default var/bench-sharing).

--reuse measures, each against its target (``--only verify,rows,offline,sandbox`` picks some):
1. verification over HTTP: the lean exchange service (``zhengtong.sharing.wsgi_exchange``) on
   granian (``--server granian``, the default: 2 workers × 16 blocking threads, ``--workers``,
   ``--http-threads``) or gunicorn gthread (``--server gthread``), and wrk (16 connections) cycling
   through 20,000 distinct subjects (names right and wrong, unknown IDs), after ``--warm`` seconds
   (default 5) of the same load that are not counted (each worker past its first calls: the
   loaded row index, the postings); every call logged (group commit) with its ES256 receipt;
   the rows added to the log are counted;
2. interface over HTTP: 50 rows with projection and the grant's row scope from the 1,000,000-row
   resource, 22,500 distinct requests in a fixed shuffled order (industry × status × 300 capital floors,
   half of them with the region filter too), so no count or page repeats within a run;
3. receipt verification offline per core (the independent script and the platform's check);
4. a sandbox job: GROUP BY district × industry over the 1,000,000 raw rows with disclosure control,
   submit → checked output (before the human review), 3 runs.
CPU per operation is the server processes' CPU (the server's process tree; PostgreSQL's as a whole,
which includes other work on a shared machine, so it is only meaningful on a quiet one) divided by
the requests served.

``--inprocess N`` (with ``--only verify`` and/or ``rows``) instead makes N calls through the
exchange service's WSGI application in this process, from ``--threads`` caller threads (default 8;
the log's group commit shares commits between them), and prints the CPU per call of this process
(callers and log writer) and of PostgreSQL, the rows per commit and the p95 of a call;
``--profile`` first runs one caller under cProfile with a CPU clock (where the CPU goes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS: list[tuple[str, ...]] = []
PORT = int(os.environ.get("BENCH_PORT", "8110"))


def _environment() -> dict[str, str]:
    var = os.environ.get("BENCH_VAR_DIR", str(ROOT / "var" / "bench-sharing"))
    env = {
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_h11"),
        "ZHENGTONG_ENV": "development",
        "DEBUG": "false",
        "ZHENGTONG_VAR_DIR": var,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
        "SHARING_MAX_RATE_PER_MINUTE": "100000000",
        "SHARING_INSTALLATION_ID": "bench",
        "SANDBOX_JOBS_PER_HOUR": "100000",
        "DJANGO_SETTINGS_MODULE": "zhengtong.settings",
    }
    os.environ.update(env)
    return env


def _load_now() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def add(measure: str, size: str, ours: str, p95: str, cpu: str, target: str, note: str = "") -> None:
    ROWS.append((measure, size, ours, p95, cpu, target, note))
    print(f"  {measure}: {ours} p95 {p95} cpu/op {cpu} ({size}) {note}", flush=True)


def state_path() -> Path:
    return Path(os.environ["ZHENGTONG_VAR_DIR"]) / "state.json"


# ------------------------------------------------------------------------------------ prepare


def prepare(persons: int, rows: int) -> None:
    import datetime as dt

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    sys.path.insert(0, str(ROOT / "bench"))
    from datastore import DISTRICTS, generate_enterprises

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit
    from zhengtong.accounts.services import system_actor
    from zhengtong.catalog import services as catalog
    from zhengtong.core.identifiers import generate_resident_id
    from zhengtong.registry.models import Person
    from zhengtong.sandbox import services as sandbox
    from zhengtong.sharing import services

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    # Resumable: every step is skipped when its result is there already (a prepare that stopped
    # half-way continues where it was).
    from django.contrib.auth import get_user_model

    from zhengtong.accounts.models import Department
    from zhengtong.sharing.models import SharingProfile, SharingRequest

    if not OrgUnit.objects.filter(code="330106").exists():
        acc.org_units_load_tree(
            actor=None,
            tree={"code": "330000", "name": "浙江省", "level": "province", "children": [
                {"code": "330100", "name": "杭州市", "level": "city", "children": [
                    {"code": code, "name": name, "level": "county", "children": []}
                    for code, name in DISTRICTS if code.startswith("3301")]}]},
        )  # fmt: skip
    s = system_actor()
    city, xihu = OrgUnit.objects.get(code="330100"), OrgUnit.objects.get(code="330106")

    def dept(unit, code, name):
        found = Department.objects.filter(org_unit=unit, code=code).first()
        return found or acc.department_create(actor=s, org_unit=unit, code=code, name=name)

    gaj = dept(xihu, "gaj", "西湖区公安分局")
    scjg = dept(xihu, "scjg", "西湖区市场监督管理局")
    sj = dept(city, "scjgj", "杭州市市场监督管理局")

    def staff(name, role, dept, unit=xihu):
        found = get_user_model().objects.filter(username=name).first()
        if found is not None:
            return found
        u = acc.user_create(actor=s, username=name, password="Bench-pass-2025!", kind="staff",
                            org_unit=unit, department=dept)  # fmt: skip
        acc.role_grant(actor=s, user=u, role=role, org_unit=unit, department=dept)
        return u

    owner, consumer = staff("owner", "sharing_admin", gaj), staff("consumer", "counter_staff", scjg)
    officer = staff("officer", "data_officer", None)
    city_officer = staff("city_officer", "data_officer", None, city)
    publisher = staff("publisher", "data_publisher", sj, city)
    city_admin = staff("city_sharing", "sharing_admin", sj, city)
    researcher = staff("researcher", "sandbox_researcher", None, city)
    have = Person.objects.filter(org_unit=xihu).count()
    print(f"persons: {persons:,} ({have:,} there)", flush=True)
    people, batch = [], []
    for i in range(persons):
        rid = generate_resident_id(
            "330106", dt.date(1950, 1, 1) + dt.timedelta(days=i // 400), 11 + 2 * (i % 400)
        )
        name = f"测试{i}"
        if i % (persons // 20000 or 1) == 0 and len(people) < 20000:
            people.append([rid, name])
        if i < have:
            continue
        batch.append(Person(resident_id=rid, name=name, sex="M", birth_date=dt.date(1950, 1, 1), org_unit=xihu,
                            phone="13900000000", address="西湖区"))  # fmt: skip
        if len(batch) >= 10000:
            Person.objects.bulk_create(batch)
            batch.clear()
    Person.objects.bulk_create(batch)
    valid = timezone.localdate() + dt.timedelta(days=365)

    def granted(profile, approvers, **kw):
        req = (
            SharingRequest.objects.filter(profile=profile, consumer_department=scjg, mode=kw["mode"])
            .exclude(state__in=["rejected", "withdrawn"])
            .first()
        )
        if req is None:
            req = services.request_create(actor=consumer, profile=profile, legal_basis="bench",
                rate_limit_per_minute=100000000, valid_until=valid, **kw)  # fmt: skip
        for approver in approvers:
            req.refresh_from_db()
            if req.state == "approved":
                break
            try:
                services.request_approve(actor=approver, request=req)
            except Exception as exc:  # noqa: BLE001 - this approver already approved, or is not needed
                print(f"  ({approver.username}: {exc})", flush=True)
        req.refresh_from_db()
        assert req.state == "approved", req.state
        return services.grant_key_issue(actor=consumer, grant=req.grant)[1]

    profile = SharingProfile.objects.filter(registry="person", org_unit=xihu).first() or services.profile_set(
        actor=owner, registry="person", org_unit=xihu, department=gaj, sharing_type="conditional", fields={}
    )
    verify_secret = granted(
        profile, [owner, officer], fields=["resident_id", "name"], purpose="bench", mode="verification"
    )

    print(f"enterprise registry: {rows:,} rows through the catalogue's load path", flush=True)
    from zhengtong.catalog.models import DataResource as Resource

    resource = Resource.objects.filter(name="bench-enterprises").first()
    if resource is None or resource.current_version_id is None:
        work = Path(settings.CATALOG_UPLOAD_DIR)
        work.mkdir(parents=True, exist_ok=True)
        csv_path = work / f"enterprises-{rows}.csv"
        if not csv_path.exists():
            generate_enterprises(rows, csv_path)
        if resource is None:
            resource = catalog.resource_create(actor=publisher, department=sj, name="bench-enterprises",
                title="企业登记信息（基准）", description="基准测试数据。", domain="economy", keywords=["企业"],
                update_frequency="monthly", openness="unconditional")  # fmt: skip
        job = catalog.load_start(
            actor=publisher, resource=resource, uploaded_file=str(csv_path), run_now=True
        )
        assert job.state == "succeeded", (job.message, job.errors)
        csv_path.unlink(missing_ok=True)
    resource.refresh_from_db()
    if resource.state != "published":
        catalog.field_grades_set(actor=publisher, resource=resource, changes={}, confirm_all=True)
        resource.refresh_from_db()
        catalog.resource_submit(actor=publisher, resource=resource)
        catalog.resource_approve(actor=city_officer, resource=resource)
        resource.refresh_from_db()
    rprofile = SharingProfile.objects.filter(resource=resource).first() or services.profile_set(
        actor=city_admin, resource=resource, sharing_type="conditional", legal_basis="", fields={},
        key_field="credit_code", region_field="region_code", modes=["interface", "verification", "batch"],
    )  # fmt: skip
    fields = ["credit_code", "name", "industry", "region_code", "registered_capital", "status"]
    rows_secret = granted(
        rprofile, [city_admin, city_officer], fields=fields, purpose="bench interface", row_scope="330106",
        mode="interface",
    )  # fmt: skip

    from zhengtong.sandbox.models import Project

    today = timezone.localdate()
    project = Project.objects.filter(title="基准项目").first()
    if project is None:
        project = sandbox.project_apply(actor=researcher, title="基准项目", purpose="区县行业统计。",
            public_benefit="基准测试。", datasets=["bench-enterprises"], starts_on=today,
            ends_on=today + dt.timedelta(days=300), people_trained=True)  # fmt: skip
    for step, approver in (
        (sandbox.project_approve_owner, publisher),
        (sandbox.project_approve, city_officer),
    ):
        project.refresh_from_db()
        try:
            step(actor=approver, project=project)
        except Exception as exc:  # noqa: BLE001 - done already on a resumed prepare
            print(f"  ({step.__name__}: {exc})", flush=True)
    dataset = project.datasets.get()
    state = {
        "verify_secret": verify_secret,
        "rows_secret": rows_secret,
        "people": people,
        "project": project.pk,
        "dataset": dataset.pk,
        "researcher": researcher.pk,
        "persons": persons,
        "rows": rows,
    }
    state_path().write_text(json.dumps(state, ensure_ascii=False))
    print(f"prepared in {time.perf_counter() - t0:.0f} s: {state_path()}", flush=True)


# ------------------------------------------------------------------------------------ measure


def _server(app: str, kind: str, workers: int, threads: int):
    from _common import http_server

    return http_server(
        kind, app, PORT, workers=workers, threads=threads, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )


def _wait_ready(path: str, headers: dict, body: str) -> None:
    import http.client

    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            conn.request("POST", path, body.encode(), headers)
            response = conn.getresponse()
            answer = response.read()
            if response.status == 200:
                return
            raise SystemExit(f"warm-up call failed: {response.status} {answer[:300]!r}")
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not start")


WARM_SECONDS = [0]


def _warm(path: str, requests: list) -> None:
    """Every worker process and thread past its first calls (loaded index, postings), not counted."""
    from loadgen import wrk_requests

    if WARM_SECONDS[0]:
        wrk_requests(PORT, path, requests, seconds=WARM_SECONDS[0], connections=16,
                     script_dir=str(ROOT / "var" / "bench"))  # fmt: skip


def _load(path: str, requests: list, seconds: int, connections: int, server) -> tuple[dict, float, float]:
    from _common import tree_cpu_seconds
    from loadgen import postgres_cpu_seconds, wrk_requests

    cpu0, pg0 = tree_cpu_seconds(server.pid), postgres_cpu_seconds()
    result = wrk_requests(PORT, path, requests, seconds=seconds, connections=connections,
                          script_dir=str(ROOT / "var" / "bench"))  # fmt: skip
    cpu1, pg1 = tree_cpu_seconds(server.pid), postgres_cpu_seconds()
    if result is None:
        raise SystemExit("wrk is not installed")
    n = max(1, result["requests"])
    return result, (cpu1 - cpu0) / n * 1000, (pg1 - pg0) / n * 1000


def _stop(server) -> None:
    from _common import stop_server

    stop_server(server)


def measure_http(state: dict, seconds: int, only: list[str], kind: str, workers: int, threads: int) -> None:
    from _common import server_label

    from zhengtong.sharing.models import Exchange

    label = server_label(kind, workers, threads)
    server = _server("zhengtong.sharing.wsgi_exchange:application", kind, workers, threads)
    try:
        if "verify" in only:
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {state['verify_secret']}",
            }
            bodies = _bodies_verify(state)
            verify = "/api/v1/sharing/exchange/verify"
            _wait_ready(verify, headers, bodies[0])
            _warm(verify, [(headers, b) for b in bodies])
            before = Exchange.objects.count()
            result, cpu, pg = _load(verify, [(headers, b) for b in bodies], seconds, 16, server)
            logged = Exchange.objects.count() - before
            add(
                f"verification 核验 over HTTP (lean WSGI, {label}), logged + ES256 receipt",
                f"{seconds} s, {len(bodies):,} distinct subjects, {state['persons']:,} persons",
                f"{result['rps']:,.0f} req/s (p50 {result['p50_ms']:.1f} ms)",
                f"{result['p95_ms']:.1f} ms",
                f"{cpu:.2f} ms app + {pg:.2f} ms PostgreSQL",
                "≥ 1,000/s, p95 ≤ 50 ms",
                f"{result['errors']} errors; {logged:,} log rows for {result['requests']:,} calls; "
                f"load {_load_now()}",
            )
        if "rows" in only:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {state['rows_secret']}"}
            bodies = _bodies_rows()
            rows = "/api/v1/sharing/exchange/rows"
            _wait_ready(rows, headers, bodies[0])
            _warm(rows, [(headers, b) for b in bodies])
            before = Exchange.objects.count()
            result, cpu, pg = _load(rows, [(headers, b) for b in bodies], seconds, 16, server)
            logged = Exchange.objects.count() - before
            add(
                f"interface rows over HTTP ({label}): 50 rows, projection + row scope 330106",
                f"{seconds} s, {len(bodies):,} distinct requests, {state['rows']:,}-row resource",
                f"{result['rps']:,.0f} req/s (p50 {result['p50_ms']:.1f} ms)",
                f"{result['p95_ms']:.1f} ms",
                f"{cpu:.2f} ms app + {pg:.2f} ms PostgreSQL",
                "≥ 300/s, p95 ≤ 100 ms",
                f"{result['errors']} errors; {logged:,} log rows for {result['requests']:,} calls; "
                f"load {_load_now()}",
            )
    finally:
        _stop(server)


def measure_sandbox(state: dict, repeat: int) -> None:
    from django.contrib.auth import get_user_model

    from zhengtong.sandbox import services as sandbox
    from zhengtong.sandbox.models import Project

    researcher = get_user_model().objects.get(pk=state["researcher"])
    project = Project.objects.get(pk=state["project"])
    sql = (
        "SELECT district, industry, count(*) AS n, sum(registered_capital) AS capital, avg(employees) AS staff "
        "FROM data GROUP BY 1, 2 ORDER BY 1, 2"
    )
    ends, status = [], ""
    c0 = time.process_time()
    for _ in range(repeat):
        t0 = time.perf_counter()
        job = sandbox.job_submit(
            actor=researcher, project=project, dataset_id=state["dataset"], sql=sql, run_now=True
        )
        ends.append(time.perf_counter() - t0)
        status = f"{job.status}: {job.checks.get('shown')}/{job.checks.get('cells')} cells shown"
    add(
        "sandbox job GROUP BY district × industry, disclosure control, submit → checked output",
        f"{state['rows']:,} raw rows, {repeat} runs",
        f"median {statistics.median(ends):.2f} s",
        f"max {max(ends):.2f} s",
        f"{(time.process_time() - c0) / repeat:.2f} s parent (+ child)",
        "≤ 5 s end to end",
        status,
    )


def _bodies_verify(state: dict) -> list[str]:
    bodies = []
    for i, (rid, name) in enumerate(state["people"]):
        subject = {"resident_id": rid, "name": name if i % 10 else name + "甲"}
        if i % 50 == 7:
            subject["resident_id"] = rid[:-4] + "999X"
        bodies.append(json.dumps({"subject": subject, "on_behalf_of": f"BENCH-{i}"}, ensure_ascii=False))
    return bodies


def _bodies_rows() -> list[str]:
    sys.path.insert(0, str(ROOT / "bench"))
    from datastore import INDUSTRIES, STATUSES

    bodies = []
    fields_sets = [
        ["credit_code", "name", "industry", "region_code"],
        ["credit_code", "name", "registered_capital", "status"],
        ["name", "industry", "registered_capital"],
    ]
    for industry in INDUSTRIES:
        for status, _w in STATUSES:
            for floor in range(0, 1500, 5):  # 300 capital floors: every call another query
                filters = [{"field": "industry", "op": "eq", "value": industry},
                           {"field": "status", "op": "eq", "value": status},
                           {"field": "registered_capital", "op": "gte", "value": floor}]  # fmt: skip
                if len(bodies) % 2:
                    filters.append({"field": "region_code", "op": "eq", "value": "330106"})
                bodies.append(json.dumps({"fields": fields_sets[len(bodies) % 3], "filters": filters,
                                          "limit": 50, "on_behalf_of": f"BENCH-R{len(bodies)}"},
                                         ensure_ascii=False))  # fmt: skip
    random.Random(20261203).shuffle(bodies)  # industries and statuses mixed from the first call on
    return bodies


def measure_inprocess(state: dict, n: int, threads: int, profile: bool, which: list[str]) -> None:
    """Calls through the exchange service's WSGI application in this process (no HTTP): CPU per call
    of this process (every thread: the callers and the exchange-log writer) and of PostgreSQL.
    ``threads`` callers at once (the log's group commit shares commits between them); with
    ``profile``, one caller under cProfile and the functions that took the most CPU."""
    import cProfile
    import io
    import pstats
    from concurrent.futures import ThreadPoolExecutor

    from loadgen import postgres_cpu_seconds

    from zhengtong.sharing import wsgi_exchange
    from zhengtong.sharing.services import exchange_log

    app = wsgi_exchange.application
    spent: list[float] = []  # CPU of each call in its own thread (the rest: the log writer, idle threads)
    waited: list[float] = []  # wall time of each call

    def call(path: str, secret: str, body: str) -> str:
        data = body.encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {secret}",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(data),
        }  # fmt: skip
        status = []
        t0, w0 = time.thread_time(), time.perf_counter()
        b"".join(app(environ, lambda s, h: status.append(s)))
        spent.append(time.thread_time() - t0)
        waited.append(time.perf_counter() - w0)
        return status[0]

    cases = {
        "verify": ("/api/v1/sharing/exchange/verify", state["verify_secret"], _bodies_verify(state)),
        "rows": ("/api/v1/sharing/exchange/rows", state["rows_secret"], _bodies_rows()),
    }
    for name in which:
        path, secret, bodies = cases[name]
        for body in bodies[:50]:  # warm: grant cache, compiled queries, connections
            assert call(path, secret, body).startswith("200"), call(path, secret, body)
        if profile:
            prof = cProfile.Profile(time.thread_time)  # CPU, not waits
            prof.enable()
            for i in range(min(n, 2000)):
                call(path, secret, bodies[i % len(bodies)])
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(35)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(60)
            print(out.getvalue())
        writer = exchange_log.writer() if exchange_log.mode() == "group" else None
        batches0, rows0 = (writer.batches, writer.rows) if writer else (0, 0)
        spent.clear()
        waited.clear()
        c0, w0, pg0 = time.process_time(), time.perf_counter(), postgres_cpu_seconds()
        with ThreadPoolExecutor(threads) as pool:
            statuses = list(
                pool.map(lambda i, p=path, k=secret, b=bodies: call(p, k, b[i % len(b)]), range(n))
            )
        c1, w1, pg1 = time.process_time(), time.perf_counter(), postgres_cpu_seconds()
        bad = sum(1 for s in statuses if not s.startswith("200"))
        per_commit = (
            f"{(writer.rows - rows0) / max(1, writer.batches - batches0):.1f} log rows per commit; "
            if writer
            else ""
        )
        add(
            f"{name} in-process (WSGI app, no HTTP), {threads} caller threads",
            f"{n:,} calls",
            f"{n / (w1 - w0):,.0f} calls/s wall",
            f"{statistics.quantiles(waited, n=20)[-1] * 1000:.1f} ms",
            f"{(c1 - c0) / n * 1000:.2f} ms app ({sum(spent) / n * 1000:.2f} in the callers' threads) + "
            f"{(pg1 - pg0) / n * 1000:.2f} ms PostgreSQL",
            "",
            f"{bad} not 200; {per_commit}load {_load_now()}",
        )


def bench_offline(n: int) -> None:
    """Receipt verification per core: the independent script (cryptography + JSON only) and the
    platform's own check against a trusted installation's JWKS."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from zhengtong.core import keys as core_keys
    from zhengtong.sharing import receipts

    key = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [core_keys.public_key_jwk(key.public_key(), "bench1")]}
    items = []
    for i in range(n):
        payload = {
            "v": 1, "id": f"00000000-0000-0000-0000-{i:012d}", "installation": "bench", "at": "2026-12-02T10:00:00+00:00",
            "grant": 1, "provider": "330106:gaj", "consumer": "330106:scjg", "mode": "verification",
            "on_behalf_of": f"ZJ-{i}", "request_sha256": "0" * 64, "response_sha256": "1" * 64, "outcome": "ok", "reason": "",
        }  # fmt: skip
        signature = core_keys.b64url(core_keys.sign_es256(key, receipts.canonical(payload)))
        items.append({"payload": payload, "alg": "ES256", "kid": "bench1", "signature": signature})
    spec = importlib.util.spec_from_file_location("verify_receipt", ROOT / "scripts" / "verify_receipt.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for label, check in (
        ("scripts/verify_receipt.py verify()", lambda r: script.verify(r, jwks)[0]),
        ("receipts.verify_with_jwks()", lambda r: receipts.verify_with_jwks(r, jwks)),
    ):
        best = 0.0
        for _ in range(3):
            t0 = time.perf_counter()
            ok = sum(1 for r in items if check(r))
            best = max(best, n / (time.perf_counter() - t0))
        assert ok == n
        add(
            f"receipt verification offline, {label}",
            f"{n:,} receipts, 1 core",
            f"{best:,.0f} /s",
            "",
            f"{1000 / best:.3f} ms",
            "≥ 5,000/s per core",
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Sharing benchmarks (issue 11): verification and interface over HTTP, receipts offline, "
        "a sandbox job. Data in BENCH_DATABASE_URL (default bench_h11).",
    )
    parser.add_argument("--prepare", action="store_true", help="create the data (database must be empty)")
    parser.add_argument("--reuse", action="store_true", help="measure only, on prepared data")
    parser.add_argument("--persons", type=int, default=int(os.environ.get("BENCH_PERSONS", "200000")))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20, help="seconds of HTTP load per measure")
    parser.add_argument("--receipts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="sandbox job runs")
    parser.add_argument(
        "--only",
        default="verify,rows,offline,sandbox",
        help="comma-separated measures to run: verify, rows (over HTTP), offline, sandbox (default: all)",
    )
    parser.add_argument(
        "--inprocess", type=int, default=0, metavar="N",
        help="instead: N calls of each of --only's verify/rows through the WSGI app in this process (CPU per call)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=8, help="caller threads for --inprocess")
    parser.add_argument(
        "--server", choices=("gthread", "granian"), default="granian",
        help="HTTP server of the exchange service: gunicorn gthread or granian's WSGI interface",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--warm", type=int, default=5, help="seconds of HTTP load before each measure, not counted (0: none)"
    )
    parser.add_argument("--http-threads", type=int, default=16, help="threads per server process")
    parser.add_argument("--profile", action="store_true", help="with --inprocess: cProfile one caller first")
    args = parser.parse_args()
    if not (args.prepare or args.reuse):
        parser.print_help()
        return
    _environment()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    if args.prepare:
        prepare(args.persons, args.rows)
        return
    state = json.loads(state_path().read_text())
    only = [m.strip() for m in args.only.split(",") if m.strip()]
    started = time.perf_counter()
    WARM_SECONDS[0] = args.warm
    if args.inprocess:
        measure_inprocess(
            state, args.inprocess, args.threads, args.profile, [m for m in only if m in ("verify", "rows")]
        )
    else:
        if "verify" in only or "rows" in only:
            measure_http(state, args.seconds, only, args.server, args.workers, args.http_threads)
        if "offline" in only:
            bench_offline(args.receipts)
        if "sandbox" in only:
            measure_sandbox(state, args.repeat)
    load = os.getloadavg()
    print(
        f"\nsharing benchmark: PostgreSQL, {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f}, wall {time.perf_counter() - started:.0f} s (load generator on the same cores)"
    )
    print("\n| measure | size | ours | p95 | CPU per op | target | note |\n|---|---|---|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
