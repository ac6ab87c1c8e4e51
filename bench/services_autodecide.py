"""秒批, 免申即享, sealed PDFs and 办件查询 benchmarks (issue 19), on PostgreSQL:

1. 秒批 over HTTP: POST /api/v1/services/{id}/applications for an item whose version has decision
   rules, every input verified (registry and e-licence); each request is decided at once and
   answers with its e-licence issued and its record signed (ES256); the sealed PDF follows after
   the commit through the outbox. Distinct citizens (API tokens cycle over ``--citizens``), wrk
   against gunicorn running the lean service bearer /api/v1/ calls are deployed to
   (``identity.wsgi_oidc``; ``--app zhengtong.wsgi`` for the full site; ``--server granian`` for
   granian's WSGI interface, keep-alive); throughput, p50/p95, CPU
   per request (gunicorn and all local PostgreSQL processes, which on a shared machine includes
   other people's load).
2. The sealed e-licence PDFs the submissions left in the outbox, rendered and sealed in-process
   (per second per core).
3. Public 办件查询 over HTTP on the lean service (``services.wsgi_track``): distinct case numbers
   with their check values, the rate limiter counting in Redis; on gunicorn gthread workers and/or
   granian (``--track-server gthread,granian``).
4. 免申即享 eligibility scan of one benefit (80 and over) over ``--persons`` persons: load (COPY),
   vectorised CertLogic evaluation, proposals written (COPY + INSERT ... SELECT); the benefit's
   proposals are deleted first so every run measures a full scan with its writes.

Usage (``--help`` runs nothing):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h19b .venv/bin/python bench/services_autodecide.py --prepare
        prepare the database (created when missing; its tables emptied): 1,000,000 persons,
        2,000 citizens with API tokens, the 秒批 item, the benefit, 200,000 cases for 办件查询
    ... bench/services_autodecide.py --reuse
        measure only, on the data a previous run prepared (about 2-3 minutes on a quiet machine)
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

ROWS: list[tuple[str, ...]] = []
ITEM_CODE = "BENCH-MIAOPI"
BENEFIT_CODE = "BENCH-ELDER-80"


def row(measure: str, size: str, ours: str, target: str, note: str = "") -> None:
    ROWS.append((measure, size, ours, target, note))
    print(f"  {measure}: {ours} (target {target}) {note}", flush=True)


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def token_for(i: int) -> tuple[str, str]:
    prefix = f"m{i:07d}"
    return prefix, f"zt_{prefix}_miaopitoken{i:010d}"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


WEIGHTS = (
    7,
    9,
    10,
    5,
    8,
    4,
    2,
    1,
    6,
    3,
    7,
    9,
    10,
    5,
    8,
    4,
    2,
)  # GB 11643 check character (ISO 7064 MOD 11-2)


def sql_persons(persons: int) -> int:
    """The synthetic population of ``_population.build_population`` (persons round the same 200
    villages, born uniformly 1940–2019, random sequence numbers, valid check characters), generated
    inside PostgreSQL in one INSERT ... SELECT: a million in well under a minute even on a busy
    machine, where building them in Python took over half an hour."""
    from django.db import connection

    from zhengtong.core.identifiers.resident_id import validate_resident_id

    checksum = " + ".join(f"substr(f17, {k + 1}, 1)::int * {w}" for k, w in enumerate(WEIGHTS))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE registry_person RESTART IDENTITY CASCADE")
        cursor.execute("SELECT setseed(0.19)")
        cursor.execute(
            f"""
            WITH v AS (
                SELECT array_agg(id ORDER BY code) AS ids, array_agg(left(code, 6) ORDER BY code) AS codes,
                       count(*)::int AS n
                FROM accounts_orgunit WHERE level = 'village'
            ), g AS (
                SELECT i, DATE '1940-01-01' + floor(random() * 29200)::int AS d, floor(random() * 1000)::int AS seq
                FROM generate_series(0, %s - 1) i
            ), f AS (
                SELECT g.i, v.ids[1 + g.i %% v.n] AS vid, g.d,
                       v.codes[1 + g.i %% v.n] || to_char(g.d, 'YYYYMMDD') || lpad(g.seq::text, 3, '0') AS f17
                FROM g, v
            )
            INSERT INTO registry_person (resident_id, name, sex, birth_date, ethnicity, phone, address, is_alive,
                                         updated_at, org_unit_id)
            SELECT f17 || substr('10X98765432', 1 + (({checksum}) %% 11), 1), '居民' || i,
                   CASE WHEN substr(f17, 17, 1)::int %% 2 = 1 THEN 'M' ELSE 'F' END, d, '', '', '', true, now(), vid
            FROM f
            ON CONFLICT DO NOTHING
            """,
            [persons],
        )
        cursor.execute("SELECT resident_id FROM registry_person ORDER BY random() LIMIT 20")
        for (rid,) in cursor.fetchall():
            validate_resident_id(rid)
        cursor.execute("VACUUM ANALYZE registry_person")
        cursor.execute("SELECT count(*) FROM registry_person")
        return cursor.fetchone()[0]


def prepare(persons: int, citizens: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from _population import build_population

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.credentials import credential_digest
    from zhengtong.accounts.models import Credential, CredentialKind, Department, OrgUnit, User
    from zhengtong.registry import services as registry
    from zhengtong.registry.models import Licence, LicenceType, Person
    from zhengtong.services import demo_autodecide, services

    t0 = time.perf_counter()
    pop = build_population(0)  # the org tree, the police department and a clerk
    n = sql_persons(persons)
    print(f"  population: {n:,} persons in {time.perf_counter() - t0:.0f} s", flush=True)
    system = pop.system
    xihu = OrgUnit.objects.get(code="330106")
    rlsb = acc.department_create(actor=system, org_unit=xihu, code="rlsb", name="西湖区人力资源和社会保障局")
    mzj = acc.department_create(actor=system, org_unit=xihu, code="mzj", name="西湖区民政局")
    gaj = Department.objects.get(org_unit=xihu, code="gaj")
    id_card = LicenceType.objects.create(code="id_card", name="居民身份证", holder_kind="person")
    cert = registry.licence_type_create(
        actor=system,
        code="insurance_certificate",
        name="社会保险参保证明",
        holder_kind="person",
        validity_years=1,
    )
    adults = list(
        Person.objects.filter(
            org_unit__path__startswith=xihu.path, birth_date__lt=dt.date(2000, 1, 1)
        ).order_by("id")[:citizens]
    )
    Person.objects.filter(pk__in=[p.pk for p in adults]).update(
        phone="13900000000", address="西湖区文三路1号"
    )
    Licence.objects.bulk_create(
        [
            Licence(licence_type=id_card, number=p.resident_id, holder_person=p, issuing_department=gaj,
                    org_unit=xihu, valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2040, 1, 1), state="valid")
            for p in adults
        ],
        batch_size=5000,
    )  # fmt: skip
    users = User.objects.bulk_create(
        [
            User(username=f"miaopi_{i}", kind="citizen", resident_id=p.resident_id, is_real_name=True,
                 display_name=p.name, password="!")
            for i, p in enumerate(adults)
        ]
    )  # fmt: skip
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    Credential.objects.bulk_create(
        [
            Credential(kind=CredentialKind.API_TOKEN, owner=u, name="bench", prefix=token_for(i)[0],
                       digest=credential_digest(token_for(i)[1]), scopes=["read", "write"], expires_at=expires)
            for i, u in enumerate(users)
        ]
    )  # fmt: skip
    item = services.item_publish(
        actor=system, code=ITEM_CODE, name="个人社会保险参保证明开具", kind="public", department=rlsb,
        materials=[demo_autodecide.ID_CARD], form_schema={"type": "object", "properties": demo_autodecide.PERSON,
        "required": sorted(demo_autodecide.PERSON)}, statutory_days=5, promised_days=1,
        review_steps=[{"name": "审核", "mode": "single"}], produces=cert,
        legal_basis="《中华人民共和国社会保险法》第七十四条。",
    )  # fmt: skip
    services.autodecide.decision_rules_publish(
        actor=system, item=item, rules=demo_autodecide.RULES["ZJ-RLSB-005"]
    )
    benefit_item = services.item_publish(
        actor=system, code="BENCH-GAOLING", name="高龄津贴发放（免申即享）", kind="benefit", department=mzj,
        materials=[demo_autodecide.HUKOU], form_schema={"type": "object", "properties": demo_autodecide.PERSON,
        "required": []}, statutory_days=5, promised_days=1,
    )  # fmt: skip
    code, name, en, _item, kind, rule = demo_autodecide.BENEFITS[0]
    services.eligibility.benefit_publish(
        actor=system, code=BENEFIT_CODE, name=name, name_en=en, item=benefit_item, holder_kind=kind, rule=rule
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


TRACK_COLUMNS = [
    "number", "item_id", "item_version_id", "applicant_id", "applicant_person_id", "org_unit_id", "org_path",
    "department_id", "data", "sources", "materials", "correction_items", "owed_materials", "fee_fen",
    "step_index", "decision_note", "state", "version", "sla_working_days", "sla_started_on", "sla_deadline",
    "sla_due_soon_on", "sla_state", "intake_channel", "submitted_at", "created_at", "updated_at",
]  # fmt: skip


def track_number(i: int) -> str:
    return f"T{i:012d}"


def prepare_track(cases: int) -> None:
    """``cases`` submitted or accepted cases of the 秒批 item for the bench citizens (COPY), each
    with its timeline (submit, and accept for half of them), for distinct 办件查询 look-ups."""
    from django.db import connection
    from django.utils import timezone

    from zhengtong.accounts.models import User
    from zhengtong.registry.models import Person
    from zhengtong.services.models import ServiceItem

    item = ServiceItem.objects.select_related("org_unit").get(code=ITEM_CODE)
    users = list(
        User.objects.filter(username__startswith="miaopi_").order_by("pk").values_list("pk", "resident_id")
    )
    persons = dict(
        Person.objects.filter(resident_id__in=[r for _pk, r in users]).values_list("resident_id", "pk")
    )
    now = timezone.now()
    today = timezone.localdate()
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_timelineentry WHERE object_type = 'services.case' AND object_id IN "
                       "(SELECT id::text FROM services_case WHERE number LIKE 'T%%')")  # fmt: skip
        cursor.execute("DELETE FROM services_case WHERE number LIKE 'T%%'")
        with cursor.copy(f"COPY services_case ({', '.join(TRACK_COLUMNS)}) FROM STDIN") as copy:
            for i in range(cases):
                uid, rid = users[i % len(users)]
                state = "accepted" if i % 2 else "submitted"
                copy.write_row((
                    track_number(i), item.pk, item.current_version_id, uid, persons.get(rid), item.org_unit_id,
                    item.org_unit.path, item.department_id, "{}", "{}", "{}", "[]", "[]", 0, 0, "", state, 1, 1,
                    today, today + dt.timedelta(days=1), today, "running", "online", now, now, now,
                ))  # fmt: skip
        cursor.execute(
            "INSERT INTO core_timelineentry (object_type, object_id, transition, from_state, to_state, actor_id,"
            " actor_label, note, data, version, at) SELECT 'services.case', c.id::text, 'submit', '', 'submitted',"
            " c.applicant_id, '', '', '{}', 1, c.submitted_at FROM services_case c WHERE c.number LIKE 'T%%'"
        )
        cursor.execute(
            "INSERT INTO core_timelineentry (object_type, object_id, transition, from_state, to_state, actor_id,"
            " actor_label, note, data, version, at) SELECT 'services.case', c.id::text, 'accept', 'submitted',"
            " 'accepted', NULL, '窗口', '', '{}', 2, c.submitted_at + interval '1 hour' FROM services_case c"
            " WHERE c.number LIKE 'T%%' AND c.state = 'accepted'"
        )
        cursor.execute("VACUUM ANALYZE services_case")
        cursor.execute("VACUUM ANALYZE core_timelineentry")
    print(
        f"  {cases:,} cases for 办件查询 with their timelines in {time.perf_counter() - t0:.0f} s", flush=True
    )


def http_track(
    url: str, workers: int, threads: int, connections: int, seconds: int, redis: str, port: int,
    server_kind: str = "gthread",
) -> None:  # fmt: skip
    """Public 办件查询 over HTTP on the lean service (``services.wsgi_track``), distinct case
    numbers with their check values, the rate limiter counting in Redis; on gunicorn (gthread
    workers keeping connections alive) or granian (``server_kind``, ``_common.http_server``)."""
    import random

    import _common
    from loadgen import postgres_cpu_seconds, wrk_requests

    from zhengtong.accounts.models import User
    from zhengtong.services.models import Case

    n = Case.objects.filter(number__startswith="T").count()
    if not n:
        row("public 办件查询", "0 cases", "—", "≥ 500/s, p95 ≤ 50 ms", "run --prepare first")
        return
    users = list(
        User.objects.filter(username__startswith="miaopi_")
        .order_by("pk")
        .values_list("resident_id", flat=True)
    )
    rng = random.Random(19)
    # 20,000 distinct numbers (wrk's Lua chunk holds no more); at 500/s for 20 s none repeats
    picks = rng.sample(range(n), min(n, 20_000))
    paths = [
        f"/api/v1/services/track?number={track_number(i)}&check={users[i % len(users)][-6:]}" for i in picks
    ]
    # Every request comes from one address here: the per-address limit is lifted, the per-number
    # failure limit and the counting itself stay (Redis, as deployed).
    env = {**os.environ, "DATABASE_URL": url, "ZHENGTONG_ENV": "development", "DEBUG": "0",
           "SERVICES_TRACK_PER_MINUTE": "1000000000", "REDIS_URL": redis}  # fmt: skip
    if server_kind == "gthread":
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), TRACK_APP, "-k", "gthread", "-w", str(workers), "--threads",
             str(threads), "--keep-alive", "30", "--timeout", "300", "-b", f"127.0.0.1:{port}", "--log-level",
             "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        label = f"gunicorn {workers}×{threads} gthread"
    else:
        server = _common.http_server(server_kind, TRACK_APP, port, workers=workers, threads=threads, env=env)
        label = _common.server_label(server_kind, workers, threads)
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", paths[0])
                r = c.getresponse()
                body = r.read()
                assert r.status == 200, (r.status, body[:300])
                break
            except OSError:
                time.sleep(0.2)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", paths[1].replace("check=", "check=X"))
        r = c.getresponse()
        r.read()
        assert r.status in (404, 422), r.status
        for p in paths[-200:]:  # warm-up: imports, connections
            c.request("GET", p)
            c.getresponse().read()
        cpu0, pg0, load0 = cpu_seconds(server.pid), postgres_cpu_seconds(), load()
        result = wrk_requests(port, "/api/v1/services/track", [({}, "")] * len(paths), paths=paths,
                              seconds=seconds, connections=connections, method="GET")  # fmt: skip
        if result is None:
            raise SystemExit("wrk is needed (make bench-tools)")
        done = result["requests"]
        cpu_ms = (cpu_seconds(server.pid) - cpu0) * 1000 / max(done, 1)
        pg_ms = (postgres_cpu_seconds() - pg0) * 1000 / max(done, 1)
        row(
            "public 办件查询, distinct case numbers (GET /api/v1/services/track, lean service)",
            f"{n:,} cases, {done} requests, {connections} conn, {label}, Redis limiter",
            f"{result['rps']:,.0f}/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms",
            "≥ 500/s, p95 ≤ 50 ms",
            f"{result['errors']} errors; load {load0} → {load()}",
        )
        row("  CPU per 办件查询", f"{done} requests", f"{server_kind} {cpu_ms:.2f} ms, PostgreSQL {pg_ms:.2f} ms", "—",
            "PostgreSQL: every local postgres process (shared machine)")  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


TRACK_APP = "zhengtong.services.wsgi_track:application"
# The servers the 办件查询 runs on (``--track-server``, several for side-by-side figures).
TRACK_SERVERS = ("gthread", "granian")


def cpu_seconds(master_pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master_pid]
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True)
    pids += [int(p) for p in out.stdout.split()]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    return total


LEAN_API = "zhengtong.identity.wsgi_oidc:application"


def http_miaopi(
    url: str,
    citizens: int,
    workers: int,
    threads: int,
    connections: int,
    seconds: int,
    app: str,
    redis: str,
    port: int,
    server_kind: str = "gunicorn",
) -> None:
    import _common
    from loadgen import postgres_cpu_seconds, wrk_requests

    from zhengtong.accounts.models import Credential
    from zhengtong.services.models import ServiceItem

    item_id = ServiceItem.objects.get(code=ITEM_CODE).pk
    n_tokens = Credential.objects.filter(prefix__startswith="m", name="bench").count()
    # Not the test settings: they run background tasks inline (ImmediateBackend), so every
    # request would render and seal its PDFs and send its SMS itself. As deployed, the outbox
    # hands them to the task queue (django-tasks' database backend) and the worker does them.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ZHENGTONG_ENV": "development",
        "DEBUG": "0",
        "REDIS_URL": redis,
    }
    if server_kind == "granian":  # granian's WSGI interface (keep-alive), as bench/codes.py offers it
        server = _common.http_server("granian", app, port, workers=workers, threads=threads, env=env)
        server_label = _common.server_label("granian", workers, threads)
    else:
        # gthread workers keep the connection alive between requests (a sync worker closes it after each)
        worker = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), app, *worker, "-w", str(workers), "--keep-alive", "30", "--timeout", "300",
             "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        server_label = f"gunicorn {workers}×{f'{threads} gthread' if threads > 1 else 'sync'}"
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        path = f"/api/v1/services/{item_id}/applications"
        # warm-up (imports, connections, the item cache), and a check that it decides
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(20):
            c.request("POST", path, body=json.dumps({"data": {}}),
                      headers={"Authorization": f"Bearer {token_for(i % n_tokens)[1]}", "Content-Type": "application/json"})  # fmt: skip
            r = c.getresponse()
            body = json.loads(r.read())
            assert r.status == 201 and body["status"]["state"] == "completed" and body["licence"], body
        requests = [
            (
                {"Authorization": f"Bearer {token_for(i)[1]}", "Content-Type": "application/json"},
                '{"data": {}}',
            )
            for i in range(n_tokens)
        ]
        cpu0, pg0, load0 = cpu_seconds(server.pid), postgres_cpu_seconds(), load()
        result = wrk_requests(port, path, requests, seconds=seconds, connections=connections)
        if result is None:
            raise SystemExit("wrk is needed (make bench-tools)")
        done = result["requests"]
        cpu_ms = (cpu_seconds(server.pid) - cpu0) * 1000 / max(done, 1)
        pg_ms = (postgres_cpu_seconds() - pg0) * 1000 / max(done, 1)
        row(
            "秒批: submission → decided, e-licence issued (HTTP)",
            f"{done} requests, {n_tokens} distinct citizens, {connections} conn, {server_label}, "
            f"{'lean bearer-API service' if app == LEAN_API else app}",
            f"{result['rps']:,.0f}/s, p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms",
            "≥ 100/s, p95 ≤ 300 ms",
            f"{result['errors']} errors; load {load0} → {load()}",
        )
        row("  CPU per 秒批 request", f"{done} requests", f"{server_kind} {cpu_ms:.1f} ms, PostgreSQL {pg_ms:.1f} ms", "—",
            "PostgreSQL: every local postgres process (shared machine)")  # fmt: skip
    finally:
        _common.stop_server(server)


def sealed_files(count: int) -> None:
    from zhengtong.core import outbox
    from zhengtong.core.models import OutboxMessage
    from zhengtong.services.services import wallet

    pending = list(
        OutboxMessage.objects.filter(topic=wallet.FILE_TOPIC, delivered_at__isnull=True).values_list(
            "pk", flat=True
        )[:count]
    )
    if not pending:
        row("sealed e-licence PDF (outbox handler)", "0 pending", "—", "≥ 50/s per core", "no pending files")
        return
    load0 = load()
    c0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for pk in pending:
        outbox.deliver_now(pk)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    row(
        "sealed e-licence PDF after the decision (render + ES256 seal + store)",
        f"{len(pending)} licences",
        f"{len(pending) / cpu:,.0f}/s per core (CPU {cpu * 1000 / len(pending):.1f} ms each; wall {len(pending) / wall:,.0f}/s)",
        "≥ 50/s per core",
        f"load {load0}",
    )


# The task backend the scan runs with in production (the worker's daily ``scan_all``): the
# proposals' notifications are queued for the worker after the commit, not delivered inside the
# scan as the test settings' ImmediateBackend would (214 SMS attempts inline were most of the
# "write" phase's wall time in earlier runs).
DEPLOYED_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sla"]}}


def scan(runs: int) -> None:
    from django.test.utils import override_settings

    with override_settings(TASKS=DEPLOYED_TASKS):
        _scan(runs)


def _scan(runs: int) -> None:
    from zhengtong.services.models import Benefit, Entitlement
    from zhengtong.services.services import eligibility

    benefit = Benefit.objects.select_related("item__org_unit", "item__department").get(code=BENEFIT_CODE)
    for _ in range(runs):
        Entitlement.objects.filter(benefit=benefit).delete()
        from loadgen import postgres_cpu_seconds

        load0 = load()
        pg0 = postgres_cpu_seconds()
        c0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        result = eligibility.eligibility_scan(benefit=benefit)
        wall = time.perf_counter() - t0
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        pg = postgres_cpu_seconds() - pg0
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        row(
            "免申即享 eligibility scan, one benefit (80 and over)",
            f"{result['scanned']:,} persons → {result['eligible']:,} eligible, {result['proposed']:,} proposals",
            f"{wall:.1f} s (load {result['load_s']} s, evaluate {result['evaluate_s']} s, write {result['write_s']} s)",
            "≤ 30 s",
            f"Python CPU {cpu:.1f} s, PostgreSQL CPU {pg:.1f} s (all local postgres processes); load {load0}",
        )
        again = eligibility.eligibility_scan(benefit=benefit)
        row("  the next scan (nothing new)", f"{again['scanned']:,} persons", f"{again['proposed']} proposals, "
            f"{again['load_s'] + again['evaluate_s'] + again['write_s']:.1f} s", "—")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure only, on data prepared by an earlier run"
    )
    parser.add_argument("--prepare", action="store_true", help="prepare the data only, measure nothing")
    parser.add_argument("--prepare-track", action="store_true", help="(re)write only the 办件查询 cases")
    parser.add_argument("--track-cases", type=int, default=200_000, help="cases for distinct 办件查询")
    parser.add_argument("--track-workers", type=int, default=2)
    parser.add_argument("--track-threads", type=int, default=4)
    parser.add_argument("--track-connections", type=int, default=8)
    parser.add_argument(
        "--track-server",
        default=os.environ.get("BENCH_HTTP_WORKER", "gthread"),
        help="comma list of the servers the 办件查询 runs on, one after the other: gthread (gunicorn"
        " gthread workers, default; BENCH_HTTP_WORKER as in bench/codes.py) and/or granian (its WSGI"
        " interface, --track-workers workers × --track-threads blocking threads)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6", help="Redis for the rate limiter")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--citizens", type=int, default=2000, help="distinct applicants (API tokens)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per 秒批 worker: 1, sync workers (default; measured 70/s against 59/s with 4 gthread"
        " threads, 20 against 24 ms CPU per request); more, gthread workers keeping connections alive",
    )
    parser.add_argument(
        "--app",
        default=LEAN_API,
        help="WSGI app for the 秒批 submissions: the lean service bearer /api/v1/ calls are deployed "
        "to (default), or zhengtong.wsgi (the full site)",
    )
    parser.add_argument(
        "--server",
        choices=("gunicorn", "granian"),
        default="gunicorn",
        help="the 秒批 server: gunicorn (sync workers, or gthread with --threads > 1) or granian"
        " (--workers processes × --threads blocking threads, keep-alive)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--pdfs", type=int, default=300)
    parser.add_argument("--scans", type=int, default=1)
    parser.add_argument(
        "--port", type=int, default=18192, help="秒批 server port; 办件查询 uses the next one"
    )
    parser.add_argument("--skip", default="", help="comma list of http,pdf,track,scan to leave out")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://.../bench_h19b (the targets are for PostgreSQL)")
    if not args.reuse and not args.prepare_track:
        ensure_database(url)
    import django

    django.setup()
    from rich.console import Console
    from rich.table import Table

    if not args.reuse and not args.prepare_track:
        print("preparing ...", flush=True)
        prepare(args.persons, args.citizens)
    if not args.reuse:
        prepare_track(args.track_cases)
        if args.prepare or args.prepare_track:
            return
    skip = set(args.skip.split(","))
    if "http" not in skip:
        http_miaopi(
            url,
            args.citizens,
            args.workers,
            args.threads,
            args.connections,
            args.seconds,
            args.app,
            args.redis,
            args.port,
            args.server,
        )
    if "pdf" not in skip:
        sealed_files(args.pdfs)
    if "track" not in skip:
        for server_kind in args.track_server.split(","):
            if server_kind not in TRACK_SERVERS:
                raise SystemExit(f"--track-server: one of {', '.join(TRACK_SERVERS)}")
            http_track(
                url,
                args.track_workers,
                args.track_threads,
                args.track_connections,
                args.seconds,
                args.redis,
                args.port + 1,
                server_kind,
            )
    if "scan" not in skip:
        scan(args.scans)
    table = Table(title=f"秒批 and 免申即享 (PostgreSQL, {os.cpu_count()} cores, load {load()})")
    for col in ("measure", "size", "ours", "target", "note"):
        table.add_column(col)
    for r in ROWS:
        table.add_row(*r)
    Console(width=220).print(table)


if __name__ == "__main__":
    main()
