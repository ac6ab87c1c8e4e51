"""Codes benchmarks: verification and issuance per core, QR rendering, mass rule re-evaluation,
and the verification API over HTTP (gunicorn + a keep-alive load client).

    .venv/bin/python bench/codes.py                     # full size (10,000,000 subjects)
    BENCH_SUBJECTS=1000000 BENCH_HTTP_SECONDS=5 .venv/bin/python bench/codes.py
    .venv/bin/python bench/codes.py --http-only         # only the two HTTP measurements
    BENCH_HTTP_WORKER=sync BENCH_HTTP_REDIS= .venv/bin/python bench/codes.py --http-only

Crypto and pipeline measurements run in this process (one core). The re-evaluation runs in two
worker processes (2 cores); the HTTP test runs on a throwaway SQLite database, one after the other:
the portal's WSGI app on gunicorn, the dedicated verification app on gunicorn, and the dedicated
app on granian (its deployment), with wrk on the same machine (so it competes for the same 2
cores), cycling through BENCH_HTTP_CODES (default 5,000) distinct codes. The servers are started as
deployed (docs/deployment.md): ``BENCH_HTTP_WORKERS`` (3) gunicorn gthread workers of
``BENCH_HTTP_THREADS`` (4) threads each on its own ``--reuse-port`` socket, or as many granian
workers with as many blocking threads, keep-alive, the shared cache (rate-limit counters) in Redis
(``BENCH_HTTP_REDIS``, default ``redis://127.0.0.1:6379/13``, flushed first; empty: the node's
file cache). ``BENCH_HTTP_WORKER=sync`` gives gunicorn sync workers, which close every connection
after one response. The table states the server's settings, its CPU time per request and the
load average with each figure.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
import _common  # noqa: E402 - bench/ is the script's directory

_common.usage_if_asked(__doc__)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import numpy as np  # noqa: E402

ROWS: list[tuple[str, str, str, str, str]] = []
CLOCK = "2026-03-01T08:00:00Z"


def add(measure: str, size: str, ours: str, target: str, note: str = "") -> None:
    ROWS.append((measure, size, ours, target, note))
    print(f"  {measure}: {ours} ({size}) {note}", flush=True)


def rate(fn, n: int, repeat: int = 3) -> float:
    """Best-of-``repeat`` operations per second over ``n`` calls (shared VM: take the best run)."""
    best = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = max(best, n / (time.perf_counter() - t0))
    return best


# ---------------------------------------------------------------- pure pipeline (1 core)


def bench_pipeline() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from zhengtong.codes import certlogic, cose
    from zhengtong.codes.demo import HEALTH_RULES
    from zhengtong.codes.verify import KeyEntry, TrustStore, verify

    key = ec.derive_private_key(123456789, ec.SECP256R1())
    kid = cose.kid_for(key.public_key())
    now = int(time.time())
    claims = cose.Claims("330000", "a1b2c3d4e5f60718", "health", "green", now, now + 86400)
    code = cose.encode_code(claims, key, kid)
    store = TrustStore()
    for i in range(50):  # a realistic store: other regions' keys too
        other = ec.derive_private_key(1000 + i, ec.SECP256R1())
        store.add(KeyEntry(cose.kid_for(other.public_key()), f"3{i:05d}", other.public_key()))
    store.add(KeyEntry(kid, "330000", key.public_key()))
    assert verify(code, store=store, purpose="health").valid

    message = b"x" * 300
    der = key.sign(message, ec.ECDSA(hashes.SHA256()))
    pub = key.public_key()
    es = rate(lambda: pub.verify(der, message, ec.ECDSA(hashes.SHA256())), 5000)
    add(
        "ES256 verify alone (cryptography)",
        "300 B message",
        f"{es:,.0f}/s",
        "≈13,000/s (reference)",
        "1 core",
    )
    full = rate(lambda: verify(code, store=store, purpose="health"), 5000)
    add(
        "verification, full path (prefix→Base45→zlib→CBOR→kid→ES256→time→purpose)",
        f"{len(code)} chars",
        f"{full:,.0f}/s",
        "≥ 5,000/s per core",
        f"{100 * full / es:.0f}% of ES256 alone",
    )
    sign = rate(lambda: cose.sign_es256(key, message), 5000)
    add("ES256 sign alone", "300 B message", f"{sign:,.0f}/s", "—", "1 core")
    enc = rate(lambda: cose.encode_code(claims, key, kid), 5000)
    add(
        "issuance, full path (claims→CBOR→COSE ES256→zlib→Base45→prefix)",
        "1 code",
        f"{enc:,.0f}/s",
        "≥ 8,000/s per core",
    )
    context = {
        "subject": {"lastPositiveTest": None, "quarantineUntil": "2026-02-20", "arrivalRiskLevel": 2},
        "external": {"validationClock": CLOCK},
    }

    def issue_with_rules():
        colour = "green"
        for rule in HEALTH_RULES:
            ok, _ = certlogic.evaluate_rule(rule["logic"], context)
            if not ok:
                colour = rule["colour"]
        cose.encode_code(
            cose.Claims("330000", "a1b2c3d4e5f60718", "health", colour, now, now + 86400), key, kid
        )

    add(
        "issuance incl. interpreting the 4 health rules",
        "1 code",
        f"{rate(issue_with_rules, 3000):,.0f}/s",
        "≥ 8,000/s per core",
    )
    import segno

    svg = rate(lambda: segno.make(code, error="q").svg_inline(scale=4), 300)
    add("QR rendering, SVG (segno, ECC Q)", f"{len(code)} chars", f"{svg:,.0f}/s", "measured separately")

    def png():
        import io

        segno.make(code, error="q").save(io.BytesIO(), kind="png", scale=6)

    add(
        "QR rendering, PNG (segno, ECC Q)",
        f"{len(code)} chars",
        f"{rate(png, 200):,.0f}/s",
        "measured separately",
    )


# ---------------------------------------------------------------- mass re-evaluation (2 cores)


def _make_chunk(n: int, seed: int):
    from zhengtong.codes.compile import Column

    rng = np.random.default_rng(seed)
    base = np.datetime64("2026-02-01").astype("datetime64[D]").astype(np.int64)
    return {
        "subject.lastPositiveTest": Column(
            "datestr", (base + rng.integers(-30, 28, n)) * 86_400_000, rng.random(n) < 0.95
        ),
        "subject.quarantineUntil": Column(
            "datestr", (base + rng.integers(0, 45, n)) * 86_400_000, rng.random(n) < 0.97
        ),
        "subject.arrivalRiskLevel": Column("int", rng.choice(6, n, p=[0.8, 0.1, 0.05, 0.03, 0.015, 0.005])),
    }


def _worker(args) -> tuple[float, float, list[int]]:
    n_total, chunk, seed = args
    from zhengtong.codes.compile import compile_rules, evaluate_columns
    from zhengtong.codes.demo import HEALTH_RULES

    compiled = compile_rules(HEALTH_RULES)
    gen = ev = 0.0
    counts = [0, 0, 0]
    done = 0
    while done < n_total:
        n = min(chunk, n_total - done)
        t0 = time.perf_counter()
        cols = _make_chunk(n, seed + done)
        t1 = time.perf_counter()
        colour, _ = evaluate_columns(compiled, cols, {"external.validationClock": CLOCK}, n)
        counts = [c + int(x) for c, x in zip(counts, np.bincount(colour, minlength=3), strict=True)]
        t2 = time.perf_counter()
        gen += t1 - t0
        ev += t2 - t1
        done += n
    return gen, ev, counts


def bench_reevaluation(subjects: int) -> None:
    from zhengtong.codes import certlogic
    from zhengtong.codes.demo import HEALTH_RULES

    half = subjects // 2
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(2) as pool:
        results = pool.map(_worker, [(half, 1_000_000, 1), (subjects - half, 1_000_000, 10**9)])
    wall = time.perf_counter() - t0
    gen = max(r[0] for r in results)
    ev = max(r[1] for r in results)
    counts = [sum(r[2][i] for r in results) for i in range(3)]
    add(
        "re-evaluate the health rule set, compiled to numpy (2 processes)",
        f"{subjects:,} subjects",
        f"{wall:.1f} s wall ({ev:.1f} s evaluating, {gen:.1f} s generating data)",
        "≤ 120 s on 2 cores",
        f"green/yellow/red = {counts[0]:,}/{counts[1]:,}/{counts[2]:,}",
    )
    # the interpreter, per subject, for comparison
    cols = _make_chunk(20_000, 5)

    def cell(path: str, i: int):
        c = cols[path]
        if c.null is not None and c.null[i]:
            return None
        if c.kind == "datestr":
            return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(c.values[i]))).date().isoformat()
        return int(c.values[i])

    contexts = [
        {"subject": {p.split(".", 1)[1]: cell(p, i) for p in cols}, "external": {"validationClock": CLOCK}}
        for i in range(20_000)
    ]
    t0 = time.perf_counter()
    for ctx in contexts:
        for rule in HEALTH_RULES:
            certlogic.evaluate_rule(rule["logic"], ctx)
    per = (time.perf_counter() - t0) / len(contexts)
    add(
        "same rule set, interpreter (1 core)",
        "20,000 subjects",
        f"{per * 1e6:.1f} µs/subject",
        "(for comparison)",
        f"≈ {per * subjects / 2:,.0f} s for {subjects:,} on 2 cores",
    )


# ---------------------------------------------------------------- HTTP (gunicorn, 2 workers)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(port: int, body: bytes, seconds: float, threads: int, out: mp.Queue) -> None:
    counts = {"ok": 0, "err": 0}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ok = err = 0
        while time.perf_counter() < stop:
            try:
                conn.request("POST", "/api/v1/codes/verify", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status == 200 and b'"valid": true' in data or b'"valid":true' in data:
                    ok += 1
                else:
                    err += 1
            except Exception:
                err += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            counts["ok"] += ok
            counts["err"] += err

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(counts)


HTTP_CODES = int(os.environ.get("BENCH_HTTP_CODES", "5000"))
# The portal on gunicorn (as deployed), the dedicated service on gunicorn and on granian (its
# deployment), side by side; BENCH_HTTP_WORKER=sync puts sync workers in place of gthread.
HTTP_WORKER = os.environ.get("BENCH_HTTP_WORKER", "gthread")
HTTP_RUNS = (
    ("zhengtong.wsgi:application", "portal WSGI app (all middleware)", HTTP_WORKER),
    ("zhengtong.codes.wsgi_verify:application", "dedicated verification service", HTTP_WORKER),
    ("zhengtong.codes.wsgi_verify:application", "dedicated verification service", "granian"),
)
HTTP_REDIS = os.environ.get("BENCH_HTTP_REDIS", "redis://127.0.0.1:6379/13")
# Everything about the server that moves its figures, printed with them.
SERVER_SETTINGS = (
    "ZHENGTONG_ENV=development, DEBUG off, SQLite, "
    + (f"shared cache in Redis ({HTTP_REDIS})" if HTTP_REDIS else "file-based cache (no REDIS_URL)")
    + ", verification rate limit raised out of the way"
)
HTTP_WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "3"))
HTTP_THREADS = int(os.environ.get("BENCH_HTTP_THREADS", "4"))


def prepare_http() -> tuple[Path, dict, list[str]]:
    """A throwaway SQLite database, migrated once for both HTTP runs, and the distinct codes."""
    tmp = Path(tempfile.mkdtemp(prefix="zt-codes-bench-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        ZHENGTONG_ENV="development",
        DEBUG="false",
        CODES_VERIFY_RATE_PER_MINUTE="100000000",
        ZHENGTONG_VAR_DIR=str(tmp),
    )
    if HTTP_REDIS:
        import redis  # noqa: PLC0415 - only when the bench uses Redis

        redis.Redis.from_url(HTTP_REDIS).flushdb()
        env["REDIS_URL"] = HTTP_REDIS
    else:
        env.pop("REDIS_URL", None)
    py = sys.executable
    print("  HTTP: migrating a throwaway SQLite database", flush=True)
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    print(f"  HTTP: issuing {HTTP_CODES:,} codes", flush=True)
    # Distinct codes (distinct subjects), so no cache of a repeated answer can serve the stream.
    setup = (
        "import time\n"
        "from zhengtong.accounts.services import system_actor\n"
        "from zhengtong.codes import cose, keys\n"
        "k,_=keys.ensure_keys(actor=system_actor(), seed=b'bench')\n"
        "now=int(time.time()); priv=keys.private_key(k); kid=bytes.fromhex(k.kid)\n"
        f"for i in range({HTTP_CODES}):\n"
        "    print(cose.encode_code(cose.Claims('330000','%016x' % i,'health','green',now,now+86400), priv, kid))\n"
    )
    codes = (
        subprocess.run(
            [py, "manage.py", "shell", "-c", setup],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-HTTP_CODES:]
    )
    return tmp, env, codes


def bench_http(
    seconds: float, app: str, label: str, server_kind: str, prepared: tuple[Path, dict, list[str]]
) -> None:
    _tmp, env, codes = prepared
    code = codes[0]
    port = _free_port()
    server_label = _common.server_label(server_kind, HTTP_WORKERS, HTTP_THREADS)
    print(f"  HTTP, {label}: starting {server_label}", flush=True)
    server = _common.http_server(server_kind, app, port, workers=HTTP_WORKERS, threads=HTTP_THREADS, env=env)
    try:
        body = json.dumps({"code": code, "purpose": "health"}).encode()
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:  # ready = a real verification answered
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", "/api/v1/codes/verify", body, {"Content-Type": "application/json"})
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        # Warm-up: every worker answers a few requests (new connections spread over the
        # workers) before the timed run, so no worker's first request is timed.
        for c in codes[:30]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request(
                "POST",
                "/api/v1/codes/verify",
                json.dumps({"code": c, "purpose": "health"}),
                {"Content-Type": "application/json"},
            )
            conn.getresponse().read()
            conn.close()
        body = json.dumps({"code": code, "purpose": "health"}).encode()
        sys.path.insert(0, str(ROOT / "bench"))
        from loadgen import wrk_requests

        cpu0, load0 = _common.tree_cpu_seconds(server.pid), os.getloadavg()[0]
        result = wrk_requests(
            port,
            "/api/v1/codes/verify",
            [
                ({"Content-Type": "application/json"}, json.dumps({"code": c, "purpose": "health"}))
                for c in codes
            ],
            seconds=int(seconds),
            connections=16,
        )
        if result is not None:
            cpu = _common.tree_cpu_seconds(server.pid) - cpu0
            served = max(1, result["requests"])
            add(
                f"POST /api/v1/codes/verify over HTTP, {label} ({server_label}, 16 connections from wrk, "
                f"{HTTP_CODES:,} distinct codes; {SERVER_SETTINGS})",
                f"{seconds:.0f} s",
                f"{result['rps']:,.0f} req/s, p95 {result['p95_ms']:.1f} ms",
                "≥ 1,000 req/s on 2 cores",
                f"{result['errors']} errors; server CPU {cpu * 1000 / served:.2f} ms/request; "
                f"load {load0:.1f} → {os.getloadavg()[0]:.1f}; client on the same 2 cores",
            )
            return
        q: mp.Queue = mp.Queue()
        warm = mp.get_context("fork").Process(target=_load, args=(port, body, 2.0, 4, q))
        warm.start()
        warm.join()
        q.get()
        procs = [
            mp.get_context("fork").Process(target=_load, args=(port, body, seconds, 8, q)) for _ in range(2)
        ]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        wall = time.perf_counter() - t0
        totals = [q.get() for _ in procs]
        ok = sum(t["ok"] for t in totals)
        err = sum(t["err"] for t in totals)
        add(
            f"POST /api/v1/codes/verify over HTTP, {label} ({server_label}, 16 clients in Python)",
            f"{seconds:.0f} s",
            f"{ok / wall:,.0f} req/s",
            "≥ 1,000 req/s on 2 cores",
            f"{err} errors; client on the same 2 cores",
        )
    finally:
        _common.stop_server(server)


def main() -> None:
    import django

    django.setup()
    subjects = int(os.environ.get("BENCH_SUBJECTS", "10000000"))
    print("codes benchmark", flush=True)
    if "--http-only" not in sys.argv:
        bench_pipeline()
        bench_reevaluation(subjects)
    if os.environ.get("BENCH_HTTP_SECONDS", "10") != "0":
        prepared = prepare_http()
        try:
            for app, label, server_kind in HTTP_RUNS:
                bench_http(
                    float(os.environ.get("BENCH_HTTP_SECONDS", "10")), app, label, server_kind, prepared
                )
        finally:
            shutil.rmtree(prepared[0], ignore_errors=True)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"codes benchmark ({os.cpu_count()} CPUs visible)")
    for col in ("measure", "size", "ours", "target", "note"):
        table.add_column(col)
    for row in ROWS:
        table.add_row(*row)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
