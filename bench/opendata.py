"""Open-data benchmark: Zhengtong against Datasette 0.65 on the same enterprise registry.

    .venv/bin/python bench/opendata.py                 # 1,000,000 rows (the issue's size)
    .venv/bin/python bench/opendata.py --rows 100000   # quicker while developing

Steps (everything under var/bench/opendata/<rows>/):

1. Generate the deterministic 14-column enterprise registry CSV (bench/datastore.py's
   ``generate_enterprises``; bench/opendata_data.py if that is missing).
2. Ingest it into Zhengtong through the catalogue's load path (read, validate, classify,
   desensitize, write both variants) and publish it: wall time and peak RSS of that process.
3. Load the same CSV into SQLite (indexes on the filtered, sorted and faceted columns) and run
   ``datasette inspect``; Datasette 0.65 lives in its own venv, var/bench/datasette-venv
   (created with pip from PyPI when missing).
4. Serve both side by side: Datasette in immutable mode (``-i`` with the inspect file, 4 SQL
   threads, generous time limits so facets complete), Zhengtong under gunicorn (2 workers x 4
   threads, ZHENGTONG_ENV=production, DEBUG off). Both answer the same Datasette-style URLs.
5. Measure HTTP p50/p95 (keep-alive, sequential) and throughput at concurrency 16 (wrk when
   installed, else bench/loadgen.py), and the PII scan (bench/privacy.py's
   ``pii_scan_benchmark`` when present).
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
VENV_PY = ROOT / ".venv" / "bin" / "python"
DATASETTE_VENV = ROOT / "var" / "bench" / "datasette-venv"
NAME = "enterprises"

TARGETS = {
    "ingest": "≤ 10 s, ≤ 1.5 GB",
    "facets": "p50 ≤ 30 ms, ≥ 10× Datasette",
    "filtered": "p50 ≤ 30 ms, ≤ Datasette",
    "deep": "p50 ≤ 15 ms",
    "throughput": "≥ 300 req/s, ≥ Datasette",
    "pii": "≥ 50,000 docs/s/core",
}


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
            "PYTHONPATH": str(ROOT),
        }
    )
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
    started = time.perf_counter()
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
    con.commit()
    con.execute("ANALYZE")
    con.close()
    tmp.rename(db_path)
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb()}))


# ------------------------------------------------------------------------------------ servers


def ensure_datasette() -> Path:
    exe = DATASETTE_VENV / "bin" / "datasette"
    if not exe.exists():
        log("creating the Datasette venv (pip install 'datasette==0.65.*')")
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [str(DATASETTE_VENV / "bin" / "pip"), "install", "-q", "datasette==0.65.*"], check=True
        )
    return exe


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


def start_zhengtong(work: Path, port: int) -> subprocess.Popen:
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    return subprocess.Popen(
        [
            str(gunicorn),
            "zhengtong.wsgi",
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per latency measure")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each throughput run")
    parser.add_argument("--zt-port", type=int, default=8761)
    parser.add_argument("--ds-port", type=int, default=8762)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier ingest and SQLite file")
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
    if not (args.reuse and ingest_file.exists()):
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
    log(f"ingest: {ingest['total_s']:.1f} s, peak {ingest['peak_mb']:.0f} MB, public grade {ingest['grade']}")

    db = work / f"{NAME}.db"
    sqlite_file = work / "sqlite.json"
    if not (args.reuse and db.exists() and sqlite_file.exists()):
        db.unlink(missing_ok=True)
        log("loading the CSV into SQLite for Datasette (with indexes)")
        out = subprocess.run(
            [sys.executable, __file__, "--child", "sqlite", "--rows", str(args.rows), "--work", str(work)],
            capture_output=True,
            text=True,
            check=True,
        )
        sqlite_file.write_text(out.stdout.strip().splitlines()[-1])
    sqlite_load = json.loads(sqlite_file.read_text())
    exe = ensure_datasette()
    inspect = work / "inspect.json"
    if not inspect.exists() or inspect.stat().st_mtime < db.stat().st_mtime:
        subprocess.run([str(exe), "inspect", str(db), "--inspect-file", str(inspect)], check=True)
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()

    zt = ds = None
    rows_out = []
    try:
        zt = start_zhengtong(work, args.zt_port)
        ds = start_datasette(exe, db, inspect, args.ds_port, work)
        wait_ready(args.zt_port, f"/data/{NAME}.json?_size=1")
        wait_ready(args.ds_port, f"/{NAME}/{NAME}.json?_size=1")
        zt_base, ds_base = f"/data/{NAME}.json", f"/{NAME}/{NAME}.json"

        # 1. facet counts on two columns over all rows
        facets = {"_facet": ["district", "industry"], "_size": "1"}

        def has_facets(body):
            assert body["facet_results"]["district"]["results"], body.get("facets_timed_out")

        z_facet = latency(args.zt_port, q(zt_base, **facets), args.repeat, has_facets)
        # Uncached: an always-true extra filter that differs per request defeats the result cache.
        z_facet_cold = latency(
            args.zt_port, lambda i: q(zt_base, **facets, employees__gte=str(-1000 - i)), args.repeat
        )
        d_facet = latency(args.ds_port, q(ds_base, **facets, _facet_size="30"), args.repeat, has_facets)
        log(
            f"facets: ours {z_facet[0]:.1f} ms (uncached {z_facet_cold[0]:.1f}), Datasette {d_facet[0]:.1f} ms"
        )

        # 2. two equality filters, sorted by capital, page of 50
        filtered = {"district": "西湖区", "status": "存续", "_sort_desc": "registered_capital", "_size": "50"}
        z_path, d_path = q(zt_base, **filtered), q(ds_base, **filtered)

        def fifty(body):
            assert len(body["rows"]) == 50, body

        z_filter = latency(args.zt_port, z_path, args.repeat, fifty)
        z_filter_cold = latency(
            args.zt_port, lambda i: q(zt_base, **filtered, employees__gte=str(-1000 - i)), args.repeat, fifty
        )
        d_filter = latency(args.ds_port, d_path, args.repeat, fifty)
        log(
            f"filtered: ours {z_filter[0]:.1f} ms (uncached {z_filter_cold[0]:.1f}), Datasette {d_filter[0]:.1f} ms"
        )

        # 3. keyset page deep in the table (~90% through the rows, default order)
        depth = int(args.rows * 0.9)
        conn = http.client.HTTPConnection("127.0.0.1", args.zt_port, timeout=120)
        status, body = fetch(
            conn,
            q(
                "/api/3/action/datastore_search",
                resource_id=NAME,
                offset=str(depth - 50),
                limit="50",
                include_total="false",
            ),
        )
        token = json.loads(body)["result"]["next_page"]
        conn.close()
        z_deep = latency(args.zt_port, q(zt_base, _next=token, _size="50", _nocount="1"), args.repeat, fifty)
        z_deep_cold = latency(
            args.zt_port,
            lambda i: q(zt_base, _next=token, _size="50", _nocount="1", employees__gte=str(-1000 - i)),
            args.repeat,
            fifty,
        )
        d_deep = latency(
            args.ds_port, q(ds_base, _next=str(depth), _size="50", _nocount="1"), args.repeat, fifty
        )
        log(
            f"deep keyset: ours {z_deep[0]:.1f} ms (uncached {z_deep_cold[0]:.1f}), Datasette {d_deep[0]:.1f} ms"
        )

        # 4. throughput of the filtered page at concurrency 16
        z_rps = throughput(args.zt_port, z_path, args.duration)
        z_rps_cold = throughput(args.zt_port, z_path, args.duration, uncached=True)
        d_rps = throughput(args.ds_port, d_path, args.duration)
        log(f"throughput: ours {z_rps:.0f} req/s (uncached {z_rps_cold:.0f}), Datasette {d_rps:.0f} req/s")
    finally:
        stop(zt)
        stop(ds)

    pii = pii_row()

    def ms(pair, cold=None):
        text = f"p50 {pair[0]:.1f} / p95 {pair[1]:.1f} ms"
        if cold:
            text += f"; uncached p50 {cold[0]:.1f} / p95 {cold[1]:.1f} ms"
        return text

    def ratio(ours, theirs, lower_is_better=True, cold=None):
        if not ours or not theirs:
            return "n/a"
        if not lower_is_better:
            return f"{ours / theirs:.2f}×"
        text = f"{theirs / ours:.1f}× faster"
        if cold:
            text += f" (uncached {theirs / cold:.1f}×)"
        return text

    rows_out = [
        (
            "ingest CSV: validate, classify, desensitize, publish",
            f"{ingest['total_s']:.1f} s, peak {ingest['peak_mb']:,.0f} MB",
            f"{sqlite_load['seconds']:.1f} s, peak {sqlite_load['peak_mb']:,.0f} MB (CSV→SQLite+indexes only)",
            f"{sqlite_load['seconds'] / ingest['total_s']:.2f}×",
            TARGETS["ingest"],
        ),
        (
            "HTTP facet counts, 2 columns, all rows",
            ms(z_facet, z_facet_cold),
            ms(d_facet),
            ratio(z_facet[0], d_facet[0], cold=z_facet_cold[0]),
            TARGETS["facets"],
        ),
        (
            "HTTP 2 equality filters, sort by capital, 50 rows",
            ms(z_filter, z_filter_cold),
            ms(d_filter),
            ratio(z_filter[0], d_filter[0], cold=z_filter_cold[0]),
            TARGETS["filtered"],
        ),
        (
            f"HTTP keyset page at row {depth:,}",
            ms(z_deep, z_deep_cold),
            ms(d_deep),
            ratio(z_deep[0], d_deep[0], cold=z_deep_cold[0]),
            TARGETS["deep"],
        ),
        (
            "throughput, filtered page, concurrency 16",
            f"{z_rps:,.0f} req/s; uncached {z_rps_cold:,.0f} req/s",
            f"{d_rps:,.0f} req/s",
            f"{z_rps / d_rps:.2f}× (uncached {z_rps_cold / d_rps:.2f}×)" if d_rps else "n/a",
            TARGETS["throughput"],
        ),
        ("PII scan, short Chinese documents", pii[0], "n/a (no such feature)", "", TARGETS["pii"]),
    ]
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Open data: Zhengtong vs {version}, {args.rows:,} rows")
    for column in ("measure", "Zhengtong", "Datasette 0.65", "ratio", "target"):
        table.add_column(column)
    for row in rows_out:
        table.add_row(*row)
    console = Console(width=200)
    console.print(table)
    console.print(f"machine: {machine()}")
    console.print(
        "Zhengtong: gunicorn 2 workers × 4 threads, production settings, SQLite catalogue, DuckDB over Parquet; "
        "Datasette: immutable mode (-i, inspect file), 4 SQL threads, suggest_facets off, indexes on "
        + ", ".join(INDEXED)
        + " and (district, status, registered_capital)."
    )


if __name__ == "__main__":
    main()
