"""Open-data benchmark: Zhengtong against Datasette 0.65 on the same enterprise registry.

    .venv/bin/python bench/opendata.py --prepare          # once: data, indexes, Datasette (minutes)
    .venv/bin/python bench/opendata.py --reuse            # measure only (about 3-4 min on a quiet machine)
    .venv/bin/python bench/opendata.py --rows 100000 --prepare   # quicker while developing

Steps (everything under var/bench/opendata/<rows>/):

1. ``--prepare``: generate the deterministic 14-column enterprise registry CSV
   (bench/datastore.py's ``generate_enterprises``; bench/opendata_data.py if that is missing);
   ingest it into Zhengtong through the catalogue's load path (read, validate, classify,
   desensitize, write both variants with the row and text indexes) and publish it (wall time, CPU
   and peak RSS of that process); load the same CSV into SQLite (indexes on the filtered, sorted
   and faceted columns, an FTS5 trigram table for ``_search``) and run ``datasette inspect``.
   Datasette is the optional ``bench`` dependency of pyproject.toml, never imported by the
   project: taken from .venv if installed there, else ``--prepare`` installs it with pip into its
   own virtualenv var/bench/datasette-venv (the only network use, and only while preparing).
2. ``--reuse`` (measure only, nothing is fetched or rebuilt): serve both side by side: Datasette
   in immutable mode (``-i`` with the inspect file, 4 SQL threads, generous time limits so facets
   complete, ``suggest_facets`` off), Zhengtong's row API service ``zhengtong.catalog.wsgi_rows``
   under gunicorn (2 workers x 4 threads, --reuse-port, ZHENGTONG_ENV=production, DEBUG off, facet suggestions
   off as on Datasette; ``--app full`` serves the whole ``zhengtong.wsgi`` instead). Both answer
   the same Datasette-style URLs.
3. Sanity check before timing: the same rows (in order) and counts from both servers.
4. Every measure twice: the cached stream (one URL repeated) and the distinct stream (URLs
   generated from the data: other districts, statuses, industries, capital bounds and search
   terms each time), each at concurrency 1 (p50/p95, keep-alive) and 16 (wrk, throughput), with
   the server's CPU time per request and the load average at the start of each run; then a
   table with the targets beside the figures.

Without ``--prepare`` or ``--reuse`` it prepares what is missing, then measures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
import _common  # noqa: E402 - bench/ is on the path now

VENV_PY = ROOT / ".venv" / "bin" / "python"
DATASETTE_VENV = ROOT / "var" / "bench" / "datasette-venv"
NAME = "enterprises"

TARGETS = {"ingest": "≤ 10 s, ≤ 1.5 GB"}
APPS = {"rows": "zhengtong.catalog.wsgi_rows:application", "full": "zhengtong.wsgi"}


# ------------------------------------------------------------------------------------ helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# One random value per secret for the whole run (the production start-up check refuses
# short, patterned or shared values).
_BENCH_SECRETS = {"SECRET_KEY": secrets.token_urlsafe(48), "PSEUDONYM_KEY": secrets.token_urlsafe(48)}


def zt_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'zhengtong.sqlite3'}",
            "DATASTORE_DIR": str(work / "datastore"),
            "CATALOG_UPLOAD_DIR": str(work / "uploads"),
            "ZHENGTONG_ENV": "production",
            "ZHENGTONG_HTTPS": "0",
            "DEBUG": "0",
            "SECRET_KEY": _BENCH_SECRETS["SECRET_KEY"],
            "PSEUDONYM_KEY": _BENCH_SECRETS["PSEUDONYM_KEY"],
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # The anonymous per-IP limit would throttle the load test; Datasette has none.
            "CATALOG_ANON_RATE_LIMIT": "1000000000",
            # Datasette runs with suggest_facets off (below): the same here.
            "CATALOG_DATASETTE_SUGGEST_FACETS": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    # the shared cache behind the rate limiter and request counts: Redis as in production
    # (BENCH_REDIS_URL, default db 8 of the local Redis; empty: the file cache)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    if redis_url:
        env["REDIS_URL"] = redis_url
    # Every secret a module requires in production (modules add their own).
    for path in [ROOT / "zhengtong" / "settings.py", *(ROOT / "zhengtong").glob("*/settings.py")]:
        for name in re.findall(r'env_secret\(\s*"([A-Z0-9_]+)"', path.read_text(encoding="utf-8")):
            env.setdefault(name, _BENCH_SECRETS.setdefault(name, secrets.token_urlsafe(48)))
    env.pop("PYTEST_VERSION", None)
    return env


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------- child: generate + ingest


def ensure_csv(rows: int, work: Path) -> Path:
    path = work / f"enterprises-{rows}.csv"
    if path.exists():
        return path
    sys.path.insert(0, str(BENCH))
    try:
        from datastore import generate_enterprises  # bench/datastore.py

        generate_enterprises(rows, path)
    except ImportError:
        from opendata_data import generate_enterprises as generate_table
        from opendata_data import write_csv

        write_csv(generate_table(rows), str(path))
    return path


def child_ingest(rows: int, work: Path) -> None:
    """Runs in its own process (fresh peak RSS): generate the CSV, then time the catalogue load."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    django.setup()
    from django.core.management import call_command

    csv_path = ensure_csv(rows, work)
    call_command("migrate", verbosity=0)

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import Department, OrgUnit
    from zhengtong.catalog import services as catalog
    from zhengtong.catalog.models import DataResource

    if not OrgUnit.objects.filter(code="330100").exists():
        acc.org_units_load_tree(
            actor=None,
            tree={
                "code": "330000",
                "name": "浙江省",
                "level": "province",
                "children": [{"code": "330100", "name": "杭州市", "level": "city", "children": []}],
            },
        )
    system = acc.system_actor()
    unit = OrgUnit.objects.get(code="330100")
    department = Department.objects.filter(org_unit=unit, code="scjg").first() or acc.department_create(
        actor=system, org_unit=unit, code="scjg", name="杭州市市场监督管理局"
    )

    def staff(username, role):
        from zhengtong.accounts.models import User

        user = User.objects.filter(username=username).first()
        if user is None:
            user = acc.user_create(
                actor=system,
                username=username,
                password="Bench-pass-2026!",
                kind="staff",
                org_unit=unit,
                department=department,
            )
            acc.role_grant(actor=system, user=user, role=role, org_unit=unit, department=department)
        return user

    publisher = staff("bench_publisher", "data_publisher")
    officer = staff("bench_officer", "data_officer")
    DataResource.objects.filter(name=NAME).delete()
    res = catalog.resource_create(
        actor=publisher,
        department=department,
        name=NAME,
        title="企业登记信息",
        title_en="Enterprise registry",
        description="杭州市企业登记信息（合成数据），法定代表人身份证号和电话已脱敏。",
        domain="economy",
        keywords=["企业", "登记"],
        update_frequency="monthly",
        openness="unconditional",
    )
    started, cpu_started = time.perf_counter(), sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    job = catalog.load_start(actor=publisher, resource=res, uploaded_file=str(csv_path), run_now=True)
    loaded = time.perf_counter() - started
    job.refresh_from_db()
    if job.state != "succeeded":
        raise SystemExit(f"load failed: {job.message} {job.errors[:5]}")
    res.refresh_from_db()
    catalog.field_grades_set(actor=publisher, resource=res, changes={}, confirm_all=True)
    res.refresh_from_db()
    catalog.resource_submit(actor=publisher, resource=res)
    res.refresh_from_db()
    catalog.resource_approve(actor=officer, resource=res)
    total = time.perf_counter() - started
    res.refresh_from_db()
    print(
        json.dumps(
            {
                "load_s": loaded,
                "total_s": total,
                "peak_mb": peak_rss_mb(),
                # the load and publication only (not the process's set-up and migrations before)
                "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_started,
                "rows": res.current_version.row_count,
                "grade": res.grade,
                "csv": str(csv_path),
                "fields": [
                    (f["name"], f.get("type"), f.get("grade"), (f.get("policy") or {}).get("op"))
                    for f in res.current_version.schema["fields"]
                ],
            }
        )
    )


# ------------------------------------------------------------------------- child: SQLite for Datasette

INDEXED = ["district", "industry", "status", "type", "registered_capital", "region_code"]


def child_sqlite(csv_path: Path, db_path: Path) -> None:
    import csv

    started = time.perf_counter()
    tmp = db_path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        types = {"registered_capital": "REAL", "employees": "INTEGER"}
        cols = ", ".join(f'"{h}" {types.get(h, "TEXT")}' for h in header)
        con.execute(f"CREATE TABLE {NAME} ({cols})")
        marks = ", ".join("?" for _ in header)
        batch = []
        for row in reader:
            batch.append(row)
            if len(batch) >= 50_000:
                con.executemany(f"INSERT INTO {NAME} VALUES ({marks})", batch)
                batch.clear()
        con.executemany(f"INSERT INTO {NAME} VALUES ({marks})", batch)
    cap = "registered_capital"
    for column in INDEXED:
        if column in header:
            con.execute(f'CREATE INDEX idx_{column} ON {NAME}("{column}")')
    # The composite index a DBA would add for "district = ? AND status = ? ORDER BY capital".
    con.execute(f'CREATE INDEX idx_district_status_capital ON {NAME}(district, status, "{cap}")')
    # Datasette's _search: an FTS5 trigram table over the same free-text columns as ours (content
    # table, so Datasette detects it as this table's search index)
    con.execute(
        f"CREATE VIRTUAL TABLE {NAME}_fts USING fts5(name, address, legal_representative, "
        f'content="{NAME}", tokenize="trigram")'
    )
    con.execute(
        f"INSERT INTO {NAME}_fts(rowid, name, address, legal_representative) "
        f"SELECT rowid, name, address, legal_representative FROM {NAME}"
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    tmp.rename(db_path)
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb()}))


# ------------------------------------------------------------------------------------ servers


def ensure_datasette(install: bool = False) -> Path:
    """Datasette: the optional ``bench`` dependency of pyproject.toml, which nothing in the project
    imports. From .venv when installed there, else from its own virtualenv
    (var/bench/datasette-venv), which ``install`` (``--prepare`` only) creates with pip."""
    for exe in (ROOT / ".venv" / "bin" / "datasette", DATASETTE_VENV / "bin" / "datasette"):
        if exe.exists():
            return exe
    if not install:
        raise SystemExit("Datasette is not installed: run bench/opendata.py --prepare first")
    log(f"installing Datasette into {DATASETTE_VENV} (bench tooling, pyproject's 'bench' extra)")
    subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
    subprocess.run(
        [str(DATASETTE_VENV / "bin" / "pip"), "install", "-q", "datasette>=0.65.5,<0.66"], check=True
    )
    return DATASETTE_VENV / "bin" / "datasette"


def wait_ready(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not come up")


def start_zhengtong(work: Path, port: int, app: str = "rows", server: str = "gunicorn") -> subprocess.Popen:
    if server == "granian":  # 2 workers × 4 blocking threads, like the gunicorn set-up below
        return _common.http_server(
            "granian", APPS[app] if ":" in APPS[app] else f"{APPS[app]}:application", port,
            workers=2, threads=4, env=zt_env(work),
        )  # fmt: skip
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    return subprocess.Popen(
        [
            str(gunicorn),
            APPS[app],
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
            # each worker on its own SO_REUSEPORT socket, as deployed (docs/deployment.md): with one
            # shared socket, wrk's kept-alive connections can all land on one worker (one core)
            "--reuse-port",
        ],
        cwd=ROOT,
        env=zt_env(work),
        stdout=subprocess.DEVNULL,
        stderr=open(work / "gunicorn.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )


def start_datasette(exe: Path, db: Path, inspect: Path, port: int, work: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(exe),
            "serve",
            "-i",
            str(db),
            "--inspect-file",
            str(inspect),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--setting",
            "num_sql_threads",
            "4",
            "--setting",
            "sql_time_limit_ms",
            "30000",
            "--setting",
            "facet_time_limit_ms",
            "30000",
            "--setting",
            "default_cache_ttl",
            "3600",
            "--setting",
            "suggest_facets",
            "off",
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "datasette.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# ------------------------------------------------------------------------------------ measuring


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Accept": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def latency(port: int, path, repeat: int, check=None) -> tuple[float, float]:
    """p50/p95 over ``repeat`` keep-alive requests; ``path`` may be a function of the request
    number (a different, equivalent URL each time: measures without the result cache)."""
    make = path if callable(path) else (lambda _i: path)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    status, body = fetch(conn, make(-1))  # warm
    if status != 200:
        raise SystemExit(f"GET :{port}{make(-1)} -> {status}: {body[:300]!r}")
    if check:
        check(json.loads(body))
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        status, body = fetch(conn, make(i))
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET :{port}{path} -> {status}")
    conn.close()
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(len(samples) * 0.95)) - 1)]


UNCACHED_LUA = """
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args) counter = id * 100000000 end
function request()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "&employees__gte=-" .. counter)
end
"""


def throughput(port: int, path: str, seconds: int, concurrency: int = 16, uncached: bool = False) -> float:
    if shutil.which("wrk"):
        script = []
        if uncached:
            lua = ROOT / "var" / "bench" / "uncached.lua"
            lua.write_text(UNCACHED_LUA)
            script = ["-s", str(lua)]
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(concurrency),
                "-d",
                f"{seconds}s",
                *script,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise SystemExit(f"wrk saw {errors.group(1)} error responses on :{port}{path}")
        return float(match.group(1)) if match else 0.0
    sys.path.insert(0, str(BENCH))
    from loadgen import run_load

    return run_load("127.0.0.1", port, path, seconds=seconds, concurrency=concurrency, uncached=uncached)


def q(path: str, **params) -> str:
    items = []
    for key, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            items.append((key, v))
    return path + "?" + urllib.parse.urlencode(items)


def pii_row() -> tuple[str, str, str]:
    sys.path.insert(0, str(BENCH))
    try:
        import privacy as privacy_bench  # bench/privacy.py

        fn = privacy_bench.pii_scan_benchmark
    except (ImportError, AttributeError):
        fn = None
    if fn is not None:
        result = fn()
        if isinstance(result, dict):
            rate = result.get("docs_per_s") or result.get("rate") or result.get("docs_per_second")
        else:
            rate = result
        return f"{float(rate):,.0f} docs/s", "bench/privacy.py", ""
    # Fallback: single-threaded scan of short Chinese documents with the privacy detectors.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    import django

    django.setup()
    from zhengtong.privacy.detectors import scan_text

    docs = [
        f"市民张{i % 97}反映：身份证号330106198506150{i % 10:02d}X，电话139{i:08d}，"
        f"邮箱user{i}@example.com，请尽快处理。"
        for i in range(20_000)
    ]
    started = time.process_time()
    for doc in docs:
        scan_text(doc)
    return f"{len(docs) / (time.process_time() - started):,.0f} docs/s", "scan_text, 1 core", ""


# ------------------------------------------------------------------------------------ main


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )  # fmt: skip
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per c=1 latency measure")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each c=16 throughput run")
    parser.add_argument("--distinct", type=int, default=3000, help="queries generated per distinct stream")
    parser.add_argument("--zt-port", type=int, default=8180)
    parser.add_argument("--ds-port", type=int, default=8181)
    parser.add_argument("--app", choices=sorted(APPS), default="rows", help="Zhengtong WSGI app served")
    parser.add_argument(
        "--server", choices=("gunicorn", "granian"), default="gunicorn", help="Zhengtong's HTTP server"
    )
    parser.add_argument("--only", help="comma list of measure numbers (1-7) to run")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--prepare", action="store_true", help="build the data and indexes, then stop")
    mode.add_argument("--reuse", action="store_true", help="measure only, on what --prepare built")
    parser.add_argument("--child", choices=["ingest", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "ingest":
        child_ingest(args.rows, Path(args.work))
        return
    if args.child == "sqlite":
        child_sqlite(Path(args.work) / f"enterprises-{args.rows}.csv", Path(args.work) / f"{NAME}.db")
        return

    work = ROOT / "var" / "bench" / "opendata" / str(args.rows)
    work.mkdir(parents=True, exist_ok=True)
    ingest_file = work / "ingest.json"
    db = work / f"{NAME}.db"
    sqlite_file = work / "sqlite.json"
    inspect = work / "inspect.json"
    if args.reuse:
        missing = [p.name for p in (ingest_file, db, sqlite_file, inspect) if not p.exists()]
        if missing:
            raise SystemExit(f"not prepared ({', '.join(missing)} missing): run with --prepare first")
        exe = ensure_datasette()
    else:
        exe = ensure_datasette(install=True)
        ensure_csv(args.rows, work)
        if not (db.exists() and sqlite_file.exists()):
            db.unlink(missing_ok=True)
            log("loading the CSV into SQLite for Datasette (with indexes)")
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "sqlite",
                    "--rows",
                    str(args.rows),
                    "--work",
                    str(work),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            sqlite_file.write_text(out.stdout.strip().splitlines()[-1])
        if not inspect.exists() or inspect.stat().st_mtime < db.stat().st_mtime:
            subprocess.run([str(exe), "inspect", str(db), "--inspect-file", str(inspect)], check=True)
        if args.prepare or not ingest_file.exists():
            for stale in ("zhengtong.sqlite3", "datastore", "uploads"):
                target = work / stale
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
            log(f"ingesting {args.rows:,} rows into Zhengtong (catalogue load path)")
            out = subprocess.run(
                [str(VENV_PY), __file__, "--child", "ingest", "--rows", str(args.rows), "--work", str(work)],
                env=zt_env(work),
                capture_output=True,
                text=True,
            )
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            ingest_file.write_text(out.stdout.strip().splitlines()[-1])
    ingest = json.loads(ingest_file.read_text())
    log(
        f"ingest: {ingest['total_s']:.1f} s wall, {ingest.get('cpu_s', float('nan')):.1f} s CPU, "
        f"peak {ingest['peak_mb']:.0f} MB, public grade {ingest['grade']}"
    )
    sqlite_load = json.loads(sqlite_file.read_text())
    if args.prepare:
        log(
            f"prepared in {work}; measure with: .venv/bin/python bench/opendata.py --reuse --rows {args.rows}"
        )
        return
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()

    zt = ds = None
    results = []
    try:
        zt = start_zhengtong(work, args.zt_port, args.app, args.server)
        ds = start_datasette(exe, db, inspect, args.ds_port, work)
        # a shared, loaded machine can take minutes to start both servers
        wait_ready(args.zt_port, f"/data/{NAME}.json?_size=1", timeout=240)
        wait_ready(args.ds_port, f"/{NAME}/{NAME}.json?_size=1", timeout=240)
        streams = make_streams(Path(ingest["csv"]), args.rows, args.distinct)
        if args.only:
            chosen = {int(n) for n in args.only.split(",")}
            streams = [m for i, m in enumerate(streams, 1) if i in chosen]
        sanity(args.zt_port, args.ds_port, streams)
        for measure in streams:
            for server, port, proc, base in (
                ("Zhengtong", args.zt_port, zt, f"/data/{NAME}.json"),
                ("Datasette", args.ds_port, ds, f"/{NAME}/{NAME}.json"),
            ):
                row = {"measure": measure["name"], "target": measure["target"], "server": server}
                for stream in ("cached", "distinct"):
                    paths = (
                        [base + "?" + measure["cached"]]
                        if stream == "cached"
                        else [base + "?" + query for query in measure["distinct"]]
                    )
                    row[stream] = run_stream(port, proc, paths, args.repeat, args.duration)
                    log(f"{measure['name']} | {server} | {stream}: {fmt_stream(row[stream])}")
                results.append(row)
    finally:
        stop(zt)
        stop(ds)
    print_report(results, ingest, sqlite_load, version, args)


# ------------------------------------------------------------------------------ streams of queries


def make_streams(csv_path: Path, rows: int, distinct: int) -> list[dict]:
    """The measures, each with one repeated query (cached stream) and ``distinct`` queries whose
    values are drawn from the data (distinct stream: no result cache can answer them)."""
    import csv
    import random

    rnd = random.Random(2026)
    districts, statuses, industries, capitals, names = set(), set(), set(), [], []
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        for i, rec in enumerate(csv.DictReader(fh)):
            districts.add(rec["district"])
            statuses.add(rec["status"])
            industries.add(rec["industry"])
            if i % 97 == 0:
                capitals.append(rec["registered_capital"])
                names.append(rec["name"])
    districts, statuses, industries = sorted(districts), sorted(statuses), sorted(industries)

    def enc(**params) -> str:
        return urllib.parse.urlencode(
            [(k, x) for k, v in params.items() for x in (v if isinstance(v, list) else [v])]
        )

    def page(**extra) -> str:
        return enc(_sort_desc="registered_capital", _size="50", _shape="objects", **extra)

    def term(length: int) -> str:
        while True:
            name = rnd.choice(names)
            chinese = re.sub(r"[^\u4e00-\u9fff]", "", name)
            if len(chinese) >= length + 2:
                start = rnd.randint(0, len(chinese) - length)
                return chinese[start : start + length]

    measures = [
        {
            "name": "filtered + sorted page (district, status; sort capital desc)",
            "target": "p50 ≤ 10 ms distinct; c=16 ≥ 2× Datasette",
            "cached": page(district="西湖区", status="存续"),
            "distinct": [
                page(
                    district=rnd.choice(districts),
                    status=rnd.choice(statuses),
                    registered_capital__lt=rnd.choice(capitals),
                )
                for _ in range(distinct)
            ],
        },
        {
            "name": "three filters (district, status, industry; sort capital desc)",
            "target": "≥ 2× Datasette",
            "cached": page(district="西湖区", status="存续", industry="制造业"),
            "distinct": [
                page(
                    district=rnd.choice(districts),
                    status=rnd.choice(statuses),
                    industry=rnd.choice(industries),
                    registered_capital__lt=rnd.choice(capitals),
                )
                for _ in range(distinct)
            ],
        },
        {
            "name": "keyset page deep in the table (sort capital, after a value)",
            "target": "p50 ≤ Datasette's",
            "cached": enc(
                _sort="registered_capital",
                registered_capital__gt=sorted(capitals, key=float)[int(len(capitals) * 0.9)],
                _size="50",
                _shape="objects",
                _nocount="1",
            ),
            "distinct": [
                enc(
                    _sort="registered_capital",
                    registered_capital__gt=rnd.choice(capitals),
                    _size="50",
                    _shape="objects",
                    _nocount="1",
                )
                for _ in range(distinct)
            ],
        },
        {
            "name": "facets district + industry under a changing filter",
            "target": "≥ 10× Datasette",
            "cached": enc(_facet=["district", "industry"], status="存续", _size="1", _shape="objects"),
            "distinct": [
                enc(
                    _facet=["district", "industry"],
                    status=rnd.choice(statuses),
                    registered_capital__gt=rnd.choice(capitals),
                    _size="1",
                    _shape="objects",
                )
                for _ in range(distinct)
            ],
        },
    ]
    for length in (2, 3, 4):
        measures.append(
            {
                "name": f"_search, {length} Chinese characters (ranked)",
                "target": "p50 ≤ 20 ms",
                "cached": enc(_search=term(length), _size="20", _shape="objects"),
                "distinct": [
                    enc(_search=term(length), _size="20", _shape="objects") for _ in range(distinct)
                ],
                "search": length,
            }
        )
    return measures


def sanity(zt_port: int, ds_port: int, measures: list[dict], per_measure: int = 10) -> None:
    """Before timing: the same rows (in order) and counts from both servers."""
    zc = http.client.HTTPConnection("127.0.0.1", zt_port, timeout=120)
    dc = http.client.HTTPConnection("127.0.0.1", ds_port, timeout=120)
    for measure in measures:
        length = measure.get("search")
        for query in [measure["cached"], *measure["distinct"][:per_measure]]:
            zs, zb = fetch(zc, f"/data/{NAME}.json?{query}")
            ds_, db_ = fetch(dc, f"/{NAME}/{NAME}.json?{query}")
            if zs != 200 or ds_ != 200:
                raise SystemExit(f"sanity: {query} -> {zs} / {ds_}: {zb[:200]!r} {db_[:200]!r}")
            z, d = json.loads(zb), json.loads(db_)
            if length is not None and length < 3:
                continue  # an FTS5 trigram index cannot answer fewer than 3 characters: Datasette finds none
            if "_nocount" not in query and z.get("filtered_table_rows_count") != d.get(
                "filtered_table_rows_count"
            ):
                raise SystemExit(
                    f"sanity: count differs for {query}: ours {z.get('filtered_table_rows_count')}, "
                    f"Datasette {d.get('filtered_table_rows_count')}"
                )
            if length is None:
                # Datasette's first page orders ties of the sort value as the plan yields them
                # (it adds the rowid tie-breaker only with _next); ours breaks ties by row. So:
                # the same sort values in the same order, and the same rows apart from a tie
                # that straddles the page's end.
                key = "registered_capital"
                if [r[key] for r in z["rows"]] != [r[key] for r in d["rows"]]:
                    raise SystemExit(f"sanity: sort values differ for {query}")
                edge = z["rows"][-1][key] if z["rows"] else None
                ours = {r["credit_code"] for r in z["rows"] if r[key] != edge}
                theirs = {r["credit_code"] for r in d["rows"] if r[key] != edge}
                if ours != theirs:
                    raise SystemExit(f"sanity: rows differ for {query}")
            for name, facet in (d.get("facet_results") or {}).items():
                want = {(x["value"], x["count"]) for x in facet["results"]}
                got = {(x["value"], x["count"]) for x in z["facet_results"][name]["results"]}
                if want - got and len(got) >= len(want):
                    raise SystemExit(f"sanity: facet {name} differs for {query}")
    zc.close()
    dc.close()
    log("sanity check passed: same rows, order and counts on both servers")


# ------------------------------------------------------------------------------ running a stream


def group_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of every process in the server's process group."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # pgrp
            total += int(fields[11]) + int(fields[12])
    return total / tick


WRK_LIST_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args) counter = id * 7919 end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def run_stream(port: int, proc, paths: list[str], repeat: int, seconds: int) -> dict:
    """c=1: p50/p95 over ``repeat`` requests (keep-alive); c=16: throughput for ``seconds``;
    both with the server's CPU time per request and the load average at the start."""
    out = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    fetch(conn, paths[-1])  # warm the connection (not one of the measured distinct paths)
    load = os.getloadavg()[0]
    cpu = group_cpu_seconds(proc.pid)
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        status, body = fetch(conn, paths[i % len(paths)])
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET :{port}{paths[i % len(paths)]} -> {status}: {body[:200]!r}")
    conn.close()
    samples.sort()
    out["c1"] = {
        "p50": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, int(round(len(samples) * 0.95)) - 1)],
        "cpu_ms": (group_cpu_seconds(proc.pid) - cpu) * 1000 / repeat,
        "load": load,
    }
    listing = ROOT / "var" / "bench" / f"paths-{port}.txt"
    listing.write_text("\n".join(paths[repeat:] if len(paths) > repeat else paths) + "\n")
    lua = ROOT / "var" / "bench" / f"paths-{port}.lua"
    lua.write_text(WRK_LIST_LUA % listing)
    load = os.getloadavg()[0]
    cpu = group_cpu_seconds(proc.pid)
    text = subprocess.run(
        ["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "-s", str(lua), f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors:
        raise SystemExit(f"wrk saw {errors.group(1)} error responses on :{port}")
    requests = int(total.group(1)) if total else 0
    out["c16"] = {
        "rps": float(match.group(1)) if match else 0.0,
        "cpu_ms": (group_cpu_seconds(proc.pid) - cpu) * 1000 / max(requests, 1),
        "load": load,
    }
    return out


def fmt_stream(stream: dict) -> str:
    c1, c16 = stream["c1"], stream["c16"]
    return (
        f"c=1 p50 {c1['p50']:.1f} / p95 {c1['p95']:.1f} ms, {c1['cpu_ms']:.1f} ms CPU/req (load {c1['load']:.1f}); "
        f"c=16 {c16['rps']:.0f} req/s, {c16['cpu_ms']:.1f} ms CPU/req (load {c16['load']:.1f})"
    )


def print_report(results: list[dict], ingest: dict, sqlite_load: dict, version: str, args) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=220)
    table = Table(
        title=f"Open data: Zhengtong vs {version}, {args.rows:,} rows (load average at the start of each run)"
    )
    for column in (
        "measure",
        "stream",
        "server",
        "c=1 p50 / p95",
        "CPU/req c=1",
        "c=16 req/s",
        "CPU/req c=16",
        "load c=1 / c=16",
    ):
        table.add_column(column)
    by_key = {(r["measure"], r["server"]): r for r in results}
    for r in results:
        for stream in ("cached", "distinct"):
            s = r[stream]
            table.add_row(
                r["measure"],
                stream,
                r["server"],
                f"{s['c1']['p50']:.1f} / {s['c1']['p95']:.1f} ms",
                f"{s['c1']['cpu_ms']:.1f} ms",
                f"{s['c16']['rps']:.0f}",
                f"{s['c16']['cpu_ms']:.1f} ms",
                f"{s['c1']['load']:.1f} / {s['c16']['load']:.1f}",
            )
    console.print(table)
    ratios = Table(title="Zhengtong ÷ Datasette (throughput at c=16; latency: Datasette p50 ÷ ours)")
    for column in (
        "measure",
        "target",
        "our distinct p50",
        "cached c=16",
        "distinct c=16",
        "distinct c=1 p50",
    ):
        ratios.add_column(column)
    for (measure, server), r in by_key.items():
        if server != "Zhengtong":
            continue
        d = by_key[(measure, "Datasette")]

        def div(a, b):
            return f"{a / b:.2f}×" if b else "∞"

        ratios.add_row(
            measure,
            r.get("target", ""),
            f"{r['distinct']['c1']['p50']:.1f} ms",
            div(r["cached"]["c16"]["rps"], d["cached"]["c16"]["rps"]),
            div(r["distinct"]["c16"]["rps"], d["distinct"]["c16"]["rps"]),
            div(d["distinct"]["c1"]["p50"], r["distinct"]["c1"]["p50"]),
        )
    console.print(ratios)
    console.print(
        f"ingest (catalogue load path incl. row and text indexes): {ingest['total_s']:.1f} s wall, "
        f"{ingest.get('cpu_s', float('nan')):.1f} s CPU, peak {ingest['peak_mb']:,.0f} MB "
        f"(target {TARGETS['ingest']}); Datasette's SQLite file + indexes + FTS: "
        f"{sqlite_load['seconds']:.1f} s, peak {sqlite_load['peak_mb']:,.0f} MB"
    )
    console.print(f"machine: {machine()}; load average now {os.getloadavg()}")
    console.print(
        f"Zhengtong: {APPS[args.app]} under {'granian 2 workers × 4 blocking threads' if args.server == 'granian' else 'gunicorn 2 workers × 4 threads (--reuse-port)'}, production settings, row "
        "index + n-gram posting-list text index per "
        "published version; Datasette: immutable mode (-i, inspect file), 4 SQL threads, indexes on "
        + ", ".join(INDEXED)
        + ", (district, status, registered_capital) and an FTS5 trigram table on name, address, "
        "legal_representative. Distinct streams: every request has other values drawn from the data."
    )


if __name__ == "__main__":
    main()
