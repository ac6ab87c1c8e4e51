"""The HTTP submission of ``bench/services.py --http-only`` in-process: the full site's WSGI
application (``zhengtong.wsgi``) called without HTTP, with the settings that benchmark gives its
server (``ZHENGTONG_ENV=development``, ``DEBUG=0``), distinct submissions cycling through the
citizens' API tokens. Prints the CPU per submission of this process and of its PostgreSQL backend
(/proc), the statements per submission, and optionally a cProfile of the measured run.

    # once: the data of bench/services.py (the database is created, or emptied and migrated)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h16s PYTHONPATH=. .venv/bin/python \\
        bench/services_inprocess.py --prepare
    # measure (each run files new cases; --first moves on so the shop names stay distinct)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h16s PYTHONPATH=. .venv/bin/python \\
        bench/services_inprocess.py --requests 400 [--sql] [--profile cumulative|tottime]
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import _common  # bench/ is the script's directory

ROOT = Path(__file__).resolve().parent.parent
ITEM_CODE = "ZJ-SCJG-004"  # the item bench/services.py submits to
CITIZENS = 400


def token_for(i: int) -> str:
    """bench/services.py's API token of citizen ``i``."""
    return f"zt_b{i:07d}_benchtoken{i:010d}"


def ensure_empty_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(url: str, persons: int) -> None:
    """bench/services.py's world (set up as it sets it up: ZHENGTONG_ENV=test) in DATABASE_URL."""
    import shutil

    ensure_empty_database(url)
    shutil.rmtree(ROOT / "var" / "cache", ignore_errors=True)  # the development file cache
    os.environ["ZHENGTONG_ENV"] = "test"
    sys.path.insert(0, str(ROOT / "bench"))
    import services as bench  # noqa: PLC0415 - sets Django up with the environment above
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    world = bench.setup_world(persons, citizens=CITIZENS)
    print(f"prepared: {len(world['tokens'])} citizens, item {world['items'][ITEM_CODE].pk}")


def measure(args) -> None:
    os.environ.update({"ZHENGTONG_ENV": "development", "DEBUG": "0"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    sys.path.insert(0, str(ROOT))
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    application = get_wsgi_application()  # zhengtong.wsgi's: sets Django up
    from django.db import connection  # noqa: PLC0415

    from zhengtong.services.models import Case, ServiceItem  # noqa: PLC0415

    path = f"/api/v1/services/{ServiceItem.objects.get(code=ITEM_CODE).pk}/applications"
    first = Case.objects.count()

    def call(i: int) -> None:
        body = json.dumps(
            {"data": {"shop_name": f"小店{i}", "premises": "西湖区文三路1号"}}, ensure_ascii=False
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "HTTP_AUTHORIZATION": f"Bearer {token_for(i % CITIZENS)}",
            "HTTP_HOST": "127.0.0.1",
        }  # fmt: skip
        status = []
        answer = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("201"), (status, answer[:500])

    for i in range(first, first + args.warmup):  # imports, connections, caches
        call(i)
    n0 = first + args.warmup
    statements: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)
    ):
        call(n0)
    print(f"statements per submission: {len(statements)} (besides BEGIN and COMMIT)")
    if args.sql:
        for sql in statements:
            print("   ", " ".join(sql.split())[: args.sql_width])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    samples: collections.Counter[str] = _common.stack_sampler() if args.sample else collections.Counter()
    profiler = None
    if args.profile:
        import cProfile  # noqa: PLC0415

        profiler = cProfile.Profile(time.process_time)
    n = args.requests
    pg0, cpu0, wall0 = backend_cpu(), time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(n0 + 1, n0 + 1 + n):
        call(i)
    if profiler:
        profiler.disable()
    cpu, wall, pg = time.process_time() - cpu0, time.perf_counter() - wall0, backend_cpu() - pg0
    _common.stop_sampler()
    print(
        f"CPU per submission {cpu * 1000 / n:.2f} ms, PostgreSQL backend {pg * 1000 / n:.2f} ms, "
        f"wall {wall * 1000 / n:.2f} ms ({n} submissions; load {os.getloadavg()[0]:.2f})"
        + (" [under cProfile]" if profiler else "")
    )
    total = samples.pop("(all)", 0)
    for label, count in samples.most_common(args.lines if total else 0):
        print(f"  {100 * count / total:5.1f}% {count * cpu * 1000 / total / n:6.2f} ms  {label}")
    if profiler:
        import pstats  # noqa: PLC0415

        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats(args.profile).print_stats(args.lines)


def http(args) -> None:
    """The same submissions over HTTP: gunicorn started as bench/services.py starts it (sync
    workers, keep-alive 30, ZHENGTONG_ENV=development, DEBUG=0) on ``--http PORT``, wrk for a
    warm-up and then ``--seconds``; CPU per submission of the gunicorn processes and of every
    local PostgreSQL process (other users of the machine's PostgreSQL count too)."""
    import http.client  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "bench"))
    from loadgen import postgres_cpu_seconds, wrk_requests  # noqa: PLC0415

    env = {**os.environ, "ZHENGTONG_ENV": "development", "DEBUG": "0"}
    item = subprocess.run(
        ["psql", os.environ["DATABASE_URL"], "-Atc", f"SELECT id FROM services_serviceitem WHERE code = '{ITEM_CODE}'"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    path = f"/api/v1/services/{item}/applications"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "zhengtong.wsgi", "-k", "sync", "-w", str(args.workers),
         "--keep-alive", "30", "-b", f"127.0.0.1:{args.http}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", args.http, timeout=5)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        stamp = time.time_ns()
        requests = [
            (
                {"Authorization": f"Bearer {token_for(i % CITIZENS)}", "Content-Type": "application/json"},
                json.dumps(
                    {"data": {"shop_name": f"小店{stamp}-{i}", "premises": "西湖区文三路1号"}},
                    ensure_ascii=False,
                ),
            )
            for i in range(CITIZENS * 3)
        ]
        url = f"{path}"
        wrk_requests(args.http, url, requests, seconds=3, connections=args.connections)  # warm-up

        def cpu() -> float:
            ticks = os.sysconf("SC_CLK_TCK")
            out = subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True, text=True
            )
            total = 0.0
            for pid in [server.pid, *(int(p) for p in out.stdout.split())]:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
            return total

        cpu0, pg0 = cpu(), postgres_cpu_seconds()
        result = wrk_requests(args.http, url, requests, seconds=args.seconds, connections=args.connections)
        done = result["requests"]
        print(
            f"{result['rps']:.0f}/s, p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
            f"{result['errors']} errors; CPU per submission gunicorn {(cpu() - cpu0) * 1000 / done:.2f} ms, "
            f"PostgreSQL {(postgres_cpu_seconds() - pg0) * 1000 / done:.2f} ms ({done} submissions, "
            f"{args.connections} connections, {args.workers} sync workers; load {os.getloadavg()[0]:.2f})"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--prepare", action="store_true", help="(re)create the database with the bench's data"
    )
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="print the statements of one submission")
    parser.add_argument("--sql-width", type=int, default=200)
    parser.add_argument("--profile", choices=("cumulative", "tottime"), help="cProfile the measured run")
    parser.add_argument(
        "--sample",
        action="store_true",
        help="sample the stacks on the CPU clock (inclusive time per function)",
    )
    parser.add_argument(
        "--http", type=int, metavar="PORT", help="over HTTP instead: gunicorn on PORT and wrk"
    )
    parser.add_argument("--workers", type=int, default=2, help="--http: gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=8, help="--http: wrk connections")
    parser.add_argument("--seconds", type=int, default=10, help="--http: length of the measured wrk run")
    parser.add_argument("--lines", type=int, default=60)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://.../bench_NAME (the figures are for PostgreSQL)")
    if args.prepare:
        prepare(url, args.persons)
    elif args.http:
        http(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
