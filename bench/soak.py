"""A multi-node soak (issue 16 item 4): two web nodes behind nginx, two task workers, Redis, a
PostgreSQL primary with a streaming replica; a mixed load for a fixed time; one web node and one
worker killed half-way.

    .venv/bin/python bench/soak.py                 # 10 minutes (make bench-soak)
    .venv/bin/python bench/soak.py --minutes 2     # a short run
    .venv/bin/python bench/soak.py --help

What it sets up, all in a temporary directory and removed afterwards:
- a PostgreSQL primary and a ``pg_basebackup`` streaming replica (``tests/replica_harness.py``), the
  demo province loaded into the primary (``migrate``, ``seed_demo``);
- Redis database ``SOAK_REDIS_DB`` (default 14) at ``SOAK_REDIS_URL`` (default
  ``redis://127.0.0.1:6379``), flushed first: the shared cache, rate limits and read-your-own-writes
  pins of both nodes;
- two gunicorn nodes (``--workers`` gthread workers each, 4 threads) reading from the replica
  (``DATABASE_REPLICA_URLS``), behind nginx (``make bench-tools`` installs it) with
  ``proxy_next_upstream`` for GETs only: a POST in flight on the killed node fails, as it would;
- two task workers (``manage.py run_worker``).

The load is ``--connections`` keep-alive clients, each sending a shuffled stream of distinct
requests of five kinds: citizens' applications (POST, auto-filled), Open311 reports (POST), open-data
queries (CKAN ``datastore_search``, distinct offsets), health-code verifications (distinct codes) and
counter staff's worklists (distinct pages). Rate limits (and the demo sharing grants' quotas, which
every application's materials check draws on) are raised for the run (the soak measures the
nodes, not the limiter). At half time node A's gunicorn and worker 1 are killed with SIGKILL.

It prints per route: requests, errors (5xx or no answer), other 4xx, p50/p95; errors outside the
killed node's in-flight requests (the killed node's: nginx's ``X-Upstream`` names it, within a second
of the kill, e.g. a POST written to a kept-alive connection of the dead node, which nginx does not
retry); the survivors' memory (RSS) over time and its growth after the warm-up; the task backlog after
the load and how long it took to drain; and ``audit_verify``'s verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _common  # noqa: E402 - bench/ is the script's directory

from tests import replica_harness  # noqa: E402 - the repository root is on the path now

SETUP = r"""
import json, random, time, sys
from django.conf import settings
from django.db import connection
from zhengtong.accounts import services as acc
from zhengtong.accounts.models import User
from zhengtong.codes import cose, keys

out = {}
zhang = User.objects.get(username="citizen_zhang")
counter = User.objects.get(username="xihu_counter")
out["citizen_tokens"] = [acc.api_token_create(actor=zhang, name=f"soak{i}", scopes=["read", "write"])[1] for i in range(8)]
out["counter_token"] = acc.api_token_create(actor=counter, name="soak", scopes=["read", "write"])[1]
with connection.cursor() as cursor:
    # The demo's sharing grants allow 600 verifications a minute; every application confirms its
    # materials under one, so the soak raises them as it raises the other limits.
    cursor.execute("UPDATE sharing_grant SET rate_limit_per_minute = %s", [settings.SHARING_MAX_RATE_PER_MINUTE])
    cursor.execute("SELECT id FROM services_serviceitem WHERE code = %s ORDER BY id DESC LIMIT 1", ["ZJ-SCJG-004"])
    out["item_id"] = cursor.fetchone()[0]
    cursor.execute("SELECT lat, lng FROM grid_incident ORDER BY id LIMIT 200")
    out["points"] = cursor.fetchall()
    cursor.execute(
        "SELECT r.name, v.row_count FROM catalog_dataresource r JOIN catalog_resourceversion v ON v.id = r.current_version_id"
        " WHERE r.state = 'published' AND r.openness = 'unconditional' AND v.row_count > 50 ORDER BY r.id LIMIT 5"
    )
    out["resources"] = cursor.fetchall()
k, _ = keys.ensure_keys(actor=acc.system_actor(), seed=b"soak")
now = int(time.time())
out["codes"] = [
    cose.encode_code(cose.Claims("330000", f"{i:016x}", "health", "green", now, now + 86400), keys.private_key(k), bytes.fromhex(k.kid))
    for i in range(3000)
]
print("SOAK-SETUP " + json.dumps(out, default=str))
"""

NGINX = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {root}/nginx-body;
  proxy_temp_path {root}/nginx-proxy;
  fastcgi_temp_path {root}/nginx-fastcgi;
  uwsgi_temp_path {root}/nginx-uwsgi;
  scgi_temp_path {root}/nginx-scgi;
  upstream nodes {{
    server 127.0.0.1:{a} max_fails=1 fail_timeout=30s;
    server 127.0.0.1:{b} max_fails=1 fail_timeout=30s;
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 10m;
    location / {{
      proxy_pass http://nodes;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502;
      proxy_connect_timeout 1s;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""

RAISED_LIMITS = dict.fromkeys(
    (
        "CODES_VERIFY_RATE_PER_MINUTE",
        "SERVICES_TRACK_PER_MINUTE",
        "GRID_OPEN311_POST_RATE_PER_MINUTE",
        "CATALOG_ANON_RATE_LIMIT",
        "CATALOG_KEY_RATE_LIMIT",
    ),
    "100000000",
)


def build_requests(world: dict, count: int) -> list[tuple[str, str, str, dict, str]]:
    """(route, method, path, headers, body): ``count`` distinct requests of five kinds."""
    rng = random.Random(7)
    out = []
    item, codes, points = world["item_id"], world["codes"], world["points"]
    for i in range(count):
        kind = i % 5
        if kind == 0:
            token = world["citizen_tokens"][i % len(world["citizen_tokens"])]
            body = json.dumps(
                {"data": {"shop_name": f"小店{i}", "premises": f"西湖区文三路{i}号"}}, ensure_ascii=False
            )
            out.append(("application", "POST", f"/api/v1/services/{item}/applications",
                        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body))  # fmt: skip
        elif kind == 1:
            lat, lng = points[i % len(points)]
            body = (
                "api_key=o311_demo_zhengtong-open311-demo-key&service_code=E0101"
                f"&lat={float(lat) + rng.uniform(-1e-5, 1e-5):.6f}&long={float(lng) + rng.uniform(-1e-5, 1e-5):.6f}"
                f"&description=soak+{i}"
            )
            out.append(("open311", "POST", "/open311/v2/requests.json",
                        {"Content-Type": "application/x-www-form-urlencoded"}, body))  # fmt: skip
        elif kind == 2:
            resource, rows = world["resources"][i % len(world["resources"])]
            offset = rng.randrange(0, max(int(rows) - 10, 1))
            path = f"/api/3/action/datastore_search?resource_id={resource}&limit=10&offset={offset}"
            out.append(("open data", "GET", path, {}, ""))
        elif kind == 3:
            out.append(("code verify", "POST", "/api/v1/codes/verify", {"Content-Type": "application/json"},
                        json.dumps({"code": codes[i % len(codes)]})))  # fmt: skip
        else:
            page = 1 + (i // 5) % 20
            out.append(("worklist", "GET", f"/api/v1/services/tasks?view=to_accept&page={page}",
                        {"Authorization": f"Bearer {world['counter_token']}"}, ""))  # fmt: skip
    rng.shuffle(out)
    return out


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def tree(pid: int) -> list[int]:
    done = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    children = [int(p) for p in done.stdout.split()]
    return [pid] + [q for c in children for q in tree(c)]


def wait_http(port: int, path: str = "/api/v1/health", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answered on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load (default 10)")
    parser.add_argument("--connections", type=int, default=12, help="concurrent clients (default 12)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node (default 2)")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed: make bench-tools")
    redis_url = (
        os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379")
        + "/"
        + os.environ.get("SOAK_REDIS_DB", "14")
    )
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, capture_output=True)
    root = Path(tempfile.mkdtemp(prefix="zt-soak-"))
    processes: dict[str, subprocess.Popen] = {}
    py = str(ROOT / ".venv/bin/python")
    started_at = time.monotonic()
    logs = contextlib.ExitStack()
    try:
        with replica_harness.postgres_pair(database="zt_soak") as pair:
            env = dict(
                os.environ,
                DATABASE_URL=pair.primary_url,
                DATABASE_REPLICA_URLS=pair.replica_url,
                REDIS_URL=redis_url,
                ZHENGTONG_VAR_DIR=str(root / "var"),
                ZHENGTONG_ENV="development",
                DEBUG="0",
                TRUSTED_PROXY_COUNT="1",
                LOG_LEVEL="WARNING",
                **RAISED_LIMITS,
            )
            print("setting up: migrate, seed_demo, collectstatic …", flush=True)
            for command in (
                ["migrate", "-v", "0"],
                ["seed_demo"],
                ["collectstatic", "--no-input", "-v", "0"],
            ):
                step = subprocess.run(
                    [py, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
                )
                if step.returncode:
                    raise SystemExit(f"manage.py {command[0]} failed:\n{step.stderr[-3000:]}")
            done = subprocess.run([py, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True,
                                  capture_output=True, text=True)  # fmt: skip
            world = json.loads(
                next(line for line in done.stdout.splitlines() if line.startswith("SOAK-SETUP "))[11:]
            )
            replica_harness.wait_replayed(pair)
            print(f"set up in {time.monotonic() - started_at:.0f} s", flush=True)

            ports = {"A": replica_harness.free_port(), "B": replica_harness.free_port()}
            for node, port in ports.items():
                processes[f"node {node}"] = subprocess.Popen(
                    [str(ROOT / ".venv/bin/gunicorn"), "zhengtong.wsgi", "-k", "gthread", "-w", str(args.workers),
                     "--threads", "4", "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                    cwd=ROOT, env=env, start_new_session=True, stderr=logs.enter_context((root / f"node-{node}.log").open("w")),
                )  # fmt: skip
            for n in (1, 2):
                processes[f"worker {n}"] = subprocess.Popen(
                    [py, "manage.py", "run_worker"], cwd=ROOT, env=env, start_new_session=True,
                    stdout=subprocess.DEVNULL, stderr=logs.enter_context((root / f"worker-{n}.log").open("w")),
                )  # fmt: skip
            port = replica_harness.free_port()
            (root / "nginx.conf").write_text(NGINX.format(root=root, a=ports["A"], b=ports["B"], port=port))
            subprocess.run([nginx, "-c", str(root / "nginx.conf"), "-p", str(root)], check=True)
            for node_port in ports.values():
                wait_http(node_port)
            wait_http(port)

            requests = build_requests(world, 60_000)
            results = run_load(port, requests, args, processes)
            results["ports"] = ports
            report(results, args, processes, env, pair, root)
    finally:
        for proc in processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        if (root / "nginx.pid").exists():
            subprocess.run(
                [nginx, "-c", str(root / "nginx.conf"), "-p", str(root), "-s", "stop"], capture_output=True
            )
        logs.close()
        shutil.rmtree(root, ignore_errors=True)


def run_load(port: int, requests: list, args, processes: dict) -> dict:
    seconds = args.minutes * 60
    start = time.monotonic()
    stop_at = start + seconds
    kill_at = start + seconds / 2
    # route, status (0: no answer), sent, latency, upstream (nginx's X-Upstream: the node(s) tried)
    samples: list[tuple[str, int, float, float, str]] = []
    lock = threading.Lock()
    cursor = iter(range(10**9))
    memory: list[tuple[float, float]] = []
    killed = {"at": None}
    first_errors: list[tuple[str, int, str]] = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            with lock:
                index = next(cursor)
            route, method, path, headers, body = requests[index % len(requests)]
            sent = time.monotonic()
            try:
                conn.request(method, path, body.encode() if body else None, headers)
                response = conn.getresponse()
                answer = response.read()
                status, upstream = response.status, response.getheader("X-Upstream", "")
                if status >= 400 and len(first_errors) < 12 and route not in {r for r, *_ in first_errors}:
                    first_errors.append((route, status, answer.decode(errors="replace")))
            except (OSError, http.client.HTTPException):
                status, upstream = 0, ""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                samples.append((route, status, sent - start, time.monotonic() - sent, upstream))
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.connections)]
    for thread in threads:
        thread.start()

    def survivors():
        return [
            p for name, proc in processes.items() if name in ("node B", "worker 2") for p in tree(proc.pid)
        ]

    while time.monotonic() < stop_at:
        time.sleep(5)
        now = time.monotonic() - start
        memory.append((now, rss_mb(survivors())))
        if killed["at"] is None and time.monotonic() >= kill_at:
            for name in ("node A", "worker 1"):
                os.killpg(processes[name].pid, signal.SIGKILL)
            killed["at"] = time.monotonic() - start
            print(f"{killed['at']:.0f} s: killed node A and worker 1 (SIGKILL)", flush=True)
        print(f"{now:.0f} s: {len(samples)} requests, survivors' RSS {memory[-1][1]:.0f} MB, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    for thread in threads:
        thread.join()
    return {
        "samples": samples,
        "memory": memory,
        "killed_at": killed["at"],
        "seconds": seconds,
        "first_errors": first_errors,
    }


def report(results: dict, args, processes: dict, env: dict, pair, root: Path) -> None:
    samples, killed_at = results["samples"], results["killed_at"]
    by_route: dict[str, list] = defaultdict(list)
    for sample in samples:
        by_route[sample[0]].append(sample)
    rows = []
    outside = 0
    for route, items in sorted(by_route.items()):
        latencies = sorted(s[3] * 1000 for s in items)
        errors = [s for s in items if s[1] == 0 or s[1] >= 500]
        # The killed node's: sent to it (nginx names it) or unanswered, within a second of the kill.
        in_flight = [
            s
            for s in errors
            if killed_at is not None
            and (not s[4] or f":{results['ports']['A']}" in s[4])
            and s[2] - 1.0 <= killed_at <= s[2] + s[3] + 1.0
        ]
        outside += len(errors) - len(in_flight)
        statuses = defaultdict(int)
        for s in items:
            if s[1] == 0 or s[1] >= 400:
                statuses[s[1]] += 1
        rows.append((route, f"{len(items):,}", f"{len(items) / results['seconds']:.1f}/s",
                     f"{latencies[len(latencies) // 2]:.0f} ms", f"{_common.p95(latencies):.0f} ms",
                     f"{len(errors)} ({len(in_flight)} in flight at the kill)",
                     ", ".join(f"{k or 'no answer'}×{v}" for k, v in sorted(statuses.items())) or "—"))  # fmt: skip
    _common.print_table(
        f"Soak: 2 nodes behind nginx, {args.workers} gthread workers each, replica reads, Redis; "
        f"{args.connections} clients for {args.minutes:g} min; node A and worker 1 killed at {killed_at:.0f} s",
        rows,
        columns=("route", "requests", "rate", "p50", "p95", "errors (5xx, no answer)", "statuses ≥ 400"),
    )
    for route, status, body in results["first_errors"]:
        print(f"first {status} on {route}: {body[:300]!r}")
    memory = results["memory"]
    warm = [m for t, m in memory if t >= min(120, results["seconds"] / 4)]
    # The survivors take over the killed node's share: compare from the first sample after the kill.
    after = [m for t, m in memory if killed_at is not None and t >= killed_at + 30] or warm
    growth = (after[-1] - after[0]) / after[0] * 100 if after else 0.0
    print(f"errors outside the killed node's in-flight requests: {outside}")
    print("survivors' RSS (node B + worker 2), MB, every 5 s: " + " ".join(f"{m:.0f}" for _, m in memory))
    print(
        f"memory growth from 30 s after the kill to the end: {growth:+.1f}% ({after[0]:.0f} → {after[-1]:.0f} MB)"
    )
    py = str(ROOT / ".venv/bin/python")
    backlog_sql = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
    started = time.monotonic()
    backlog = replica_harness.sql(pair.primary_port, backlog_sql, database=pair.database)
    print(f"task backlog when the load stopped: {backlog}")
    while int(backlog) > 0 and time.monotonic() - started < 600:
        time.sleep(2)
        backlog = replica_harness.sql(pair.primary_port, backlog_sql, database=pair.database)
    print(f"task backlog drained to {backlog} in {time.monotonic() - started:.0f} s")
    verdict = subprocess.run(
        [py, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    print(f"audit_verify: exit {verdict.returncode}: {(verdict.stdout + verdict.stderr).strip()[-400:]}")


if __name__ == "__main__":
    main()
