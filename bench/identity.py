"""Identity centre benchmarks over HTTP: the token endpoint's authorization-code exchange,
userinfo and ``GET /api/v1/me`` with a JWT access token, and introspection.

    .venv/bin/python bench/identity.py --prepare         # prepare bench_h12 only (minutes)
    .venv/bin/python bench/identity.py --reuse           # measure only (about 2.5 minutes)
    .venv/bin/python bench/identity.py --reuse --seconds 20 --apps lean,full

gunicorn (3 gthread workers of ``--threads`` threads, default 4, keep-alive, each worker on its
own ``SO_REUSEPORT`` socket, as deployed; ``--threads 0``: 3 sync workers) serves the site on
PostgreSQL (``--db``, default the ``bench_h12`` database) with the shared cache in Redis
(``--redis``, default database 2), as deployed: the identity centre's lean service (``zhengtong.identity.wsgi_oidc``, "lean": the same
views without the browser middleware), optionally the whole site (``zhengtong.wsgi``, "full").
wrk drives each measure with a stream of DISTINCT requests: every code is exchanged once, every
userinfo/API/introspection request carries another access token of one of ``--people`` persons
(a person's record and claims are cached per process, so the "lean" rows are the warm case; a
token's signature check is kept per process (``identity.server.verified``), so the first pass
through the tokens verifies every one and a later pass only those that reach another worker than
before: at 1,500/s a 10-s measure makes three passes over the tokens, and ``/api/v1/me`` runs
after userinfo with the same tokens). The "lean, person not cached" rows run the same service with
``ACCOUNTS_USER_CACHE_SECONDS=0`` (a person's record, claims and grants read on every call): the
cold case. Reported: requests per second (wall clock, the load client on the same 2 cores),
latency, the CPU time per request of the gunicorn workers and of PostgreSQL (what the figure
would be on an unshared machine), how many of wrk's 8 connections each worker held halfway
through (a keep-alive connection stays with the worker that accepted it: with one shared socket
one worker often took all 8 and the measure was bound to one core), with the load average.

Preparation (``--prepare``, or a first run without ``--reuse``): migrate, a province, an
administrator, ``--people`` persons, the confidential client ``bench-rp`` and ``--tokens`` access
tokens (30-day lifetime, so a later ``--reuse`` finds them live), kept in
``var/bench/identity-tokens.json``. Codes are single-use, so every run inserts fresh ones (a bulk
insert, not measured).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import _common  # noqa: E402 - bench/ is on the path now

REDIRECT = "http://127.0.0.1:8765/callback"
STATE = ROOT / "var" / "bench" / "identity-tokens.json"
APPS = {
    "lean": ("zhengtong.identity.wsgi_oidc", {}),
    "lean-cold": ("zhengtong.identity.wsgi_oidc", {"ACCOUNTS_USER_CACHE_SECONDS": "0"}),
    "full": ("zhengtong.wsgi", {}),
}
LABELS = {"lean": "lean", "lean-cold": "lean, person not cached", "full": "full site"}
REDIS = ["redis://127.0.0.1:6379/2"]
AUTH = "Basic " + base64.b64encode(b"bench-rp:bench-secret").decode()


def _args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure only: reuse the prepared database and tokens"
    )
    parser.add_argument("--prepare", action="store_true", help="prepare the database and tokens only")
    parser.add_argument("--redis", default=REDIS[0], help="REDIS_URL of the shared cache (default db 2)")
    parser.add_argument("--people", type=int, default=200, help="distinct persons the tokens belong to")
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/bench_h12", help="DATABASE_URL")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per measure (default 10)")
    parser.add_argument("--tokens", type=int, default=5000, help="distinct access tokens to prepare")
    parser.add_argument("--codes", type=int, default=6000, help="fresh codes per exchange measure")
    parser.add_argument(
        "--apps",
        default="lean,lean-cold",
        help="lean, lean-cold, full (comma-separated; default lean,lean-cold)",
    )
    parser.add_argument("--remint", action="store_true", help="with --reuse: issue new access tokens")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per gthread worker (default 4; 0: sync workers)"
    )
    parser.add_argument("--port", type=int, default=0, help="port gunicorn listens on (default: a free one)")
    parser.add_argument(
        "--shared-socket",
        action="store_true",
        help="gthread workers accept from one shared socket (gunicorn's default) instead of --reuse-port",
    )
    parser.add_argument(
        "--server",
        choices=("gunicorn", "granian"),
        default="gunicorn",
        help="HTTP server: gunicorn (default) or granian (--workers processes × --threads blocking threads)",
    )
    return parser.parse_args()


def _env(db: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db,
        ZHENGTONG_ENV="development",
        DEBUG="false",
        PYTHONPATH=str(ROOT),
        REDIS_URL=REDIS[0],
        IDENTITY_ACCESS_TOKEN_SECONDS="2592000",  # the prepared tokens outlive a later --reuse
        IDENTITY_FAILURES_PER_ADDRESS="100000000",
        HTML_GZIP="false",
    )
    return env


def _django(db: str) -> None:
    os.environ.update(_env(db))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    import django

    django.setup()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _codes(n: int) -> list[tuple[str, str]]:
    """``n`` fresh authorization codes of the bench person for bench-rp: (code, verifier)."""
    from datetime import timedelta

    from django.utils import timezone

    from zhengtong.accounts.models import User
    from zhengtong.identity.models import AuthorizationCode, Client
    from zhengtong.identity.server import digest

    client = Client.objects.get(client_id="bench-rp")
    people = list(User.objects.filter(username__startswith="bench_person").values_list("pk", flat=True))
    out, rows = [], []
    for i in range(n):
        user_id = people[i % len(people)]
        verifier, challenge = _pkce()
        code = secrets.token_urlsafe(36)
        out.append((code, verifier))
        rows.append(
            AuthorizationCode(
                code_digest=digest(code), client=client, user_id=user_id, redirect_uri=REDIRECT,
                scope="openid profile api:read", nonce=secrets.token_hex(8), code_challenge=challenge,
                code_challenge_method="S256", auth_time=int(time.time()), acr="urn:zhengtong:loa:registered",
                amr=["pwd"], sid="bench", expires_at=timezone.now() + timedelta(hours=2),
            )
        )  # fmt: skip
    AuthorizationCode.objects.bulk_create(rows, batch_size=1000)
    return out


def mint(n: int) -> list[str]:
    """``n`` access tokens of the bench person for bench-rp, as the code exchange issues them
    (the token generator and save_token of identity.server, without HTTP)."""
    from types import SimpleNamespace

    from zhengtong.accounts.models import User
    from zhengtong.identity import server as srv
    from zhengtong.identity.models import Client

    client = Client.objects.get(client_id="bench-rp")
    people = list(User.objects.filter(username__startswith="bench_person"))
    generator = srv.AccessTokens()
    acr = "urn:zhengtong:loa:registered"
    out = []
    for i in range(n):
        person = people[i % len(people)]
        reset = srv._token_acr.set(acr)
        try:
            token = generator.generate("authorization_code", client, user=person, scope="openid profile api:read",
                                       include_refresh_token=False)  # fmt: skip
        finally:
            srv._token_acr.reset(reset)
        request = SimpleNamespace(client=client, user=person, authorization_code=None, refresh_token=None,
                                  payload=SimpleNamespace(grant_type="authorization_code"))  # fmt: skip
        srv.server.save_token(token, request)
        out.append(token["access_token"])
    return out


def prepare(db: str, tokens: int, people: int) -> None:
    from django.core.management import call_command

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.kinds import UserKind
    from zhengtong.accounts.models import User
    from zhengtong.accounts.selectors import org_unit_by_code
    from zhengtong.identity import services

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="bench_admin").exists():
        acc.org_units_load_tree(actor=None, tree={"code": "330000", "name": "浙江省", "level": "province"})
        unit = org_unit_by_code("330000")
        admin = acc.user_create(
            actor=None,
            username="bench_admin",
            password="Bench-pass-2025!",
            kind=UserKind.STAFF,
            org_unit=unit,
        )
        acc.role_grant(actor=acc.system_actor(), user=admin, role="identity_admin", org_unit=unit)
        services.client_create(
            actor=admin, client_id="bench-rp", name="bench", org_unit=unit, purpose="bench",
            client_type="confidential", redirect_uris=[REDIRECT], scopes=["openid", "profile", "api:read"],
            grant_types=["authorization_code", "refresh_token"], sector="bench", known_secret="bench-secret",
        )  # fmt: skip
    have = User.objects.filter(username__startswith="bench_person").count()
    User.objects.bulk_create(
        [User(username=f"bench_person{i}", kind=UserKind.CITIZEN, password="!", language="zh-hans",
              first_name=f"P{i}", phone=f"1380000{i:04d}") for i in range(have, people)]
    )  # fmt: skip
    out = mint(tokens)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps({"db": db, "tokens": out}))
    print(f"prepared {len(out)} access tokens", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_of(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _worker_class(args) -> list[str]:
    """gunicorn's worker options: gthread workers (keep-alive: wrk's connections stay open, as a
    proxy's upstream keep-alive does) each listening on its own ``SO_REUSEPORT`` socket, so the
    kernel spreads the connections over the workers (``--shared-socket``: one socket all workers
    accept from, where one worker often took all 8 connections and the run was bound to one
    core); or sync workers with ``--threads 0`` (a new connection per request: gunicorn's sync
    worker closes each)."""
    if args.threads <= 0:
        return ["-k", "sync"]
    reuse = [] if args.shared_socket else ["--reuse-port"]
    return ["-k", "gthread", "--threads", str(args.threads), "--keep-alive", "30", *reuse]


def _connections_per_worker(port: int, workers: list[int]) -> list[int]:
    """How many established connections each worker holds now (``ss``)."""
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"sport = :{port}"], capture_output=True, text=True
    ).stdout
    held = [int(p) for p in re.findall(r"pid=(\d+)", out)]
    return sorted((held.count(w) for w in workers), reverse=True)


def _kind(args) -> str:
    if args.server == "granian":
        return f"granian ({max(args.threads, 1)} blocking threads)"
    if args.threads <= 0:
        return "sync"
    return (
        f"gthread ({args.threads} threads, {'one shared socket' if args.shared_socket else '--reuse-port'})"
    )


def _workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def measure(args, app: str, token_list: list[str], rows: list) -> None:
    from loadgen import postgres_cpu_seconds, wrk_requests

    port = args.port or _free_port()
    module, extra = APPS[app]
    label_app = LABELS[app]
    if args.server == "granian":
        server = _common.http_server(
            "granian", f"{module}:application", port, workers=args.workers, threads=max(args.threads, 1),
            env={**_env(args.db), **extra},
        )  # fmt: skip
    else:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), module, "-w", str(args.workers), *_worker_class(args),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "300"],
            cwd=ROOT, env={**_env(args.db), **extra}, start_new_session=True,
        )  # fmt: skip
    try:
        # Ready = every worker has answered a real request (booting Django takes a while on a
        # loaded machine; the master accepts connections before its workers can answer).
        deadline, answered = time.time() + 300, 0
        while time.time() < deadline and answered < 3 * args.workers:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", "/oidc/userinfo", headers={"Authorization": f"Bearer {token_list[0]}"})
                answered += conn.getresponse().status == 200
                conn.close()
            except OSError:
                time.sleep(1)
        workers = _workers(server.pid)
        form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTH}

        def run(label, path, requests, method, target, paths=None):
            # warm every worker (imports, keys, connections) on a few requests, not counted
            wrk_requests(port, path, requests[:50], seconds=2, connections=6, method=method)
            held: list = []
            # halfway through, which worker holds which of wrk's connections
            probe = threading.Timer(
                args.seconds / 2, lambda: held.extend(_connections_per_worker(port, workers))
            )
            cpu0, pg0, load0 = _cpu_of(workers), postgres_cpu_seconds(), os.getloadavg()[0]
            probe.start()
            result = wrk_requests(
                port, path, requests[50:], seconds=args.seconds, connections=8, method=method
            )
            probe.join()
            cpu = _cpu_of(workers) - cpu0
            pg = postgres_cpu_seconds() - pg0
            n = max(result["requests"], 1)
            rows.append(
                (f"{label} [{label_app}]", f"{result['rps']:,.0f}/s", f"{result['p50_ms']:.1f} / {result['p95_ms']:.1f}",
                 f"{cpu * 1000 / n:.2f} ms", f"{pg * 1000 / n:.2f} ms", "/".join(map(str, held)),
                 f"{result['errors']}", f"{load0:.1f}", target)
            )  # fmt: skip
            print("  " + " | ".join(rows[-1]), flush=True)

        cold = app == "lean-cold"
        if not cold:
            codes = _codes(args.codes + 50)
            bodies = [
                (form, urllib.parse.urlencode({"grant_type": "authorization_code", "code": c, "redirect_uri": REDIRECT,
                                               "code_verifier": v}))
                for c, v in codes
            ]  # fmt: skip
            run("token endpoint: code exchange", "/oidc/token", bodies, "POST", "≥ 300/s")
        bearer = [({"Authorization": f"Bearer {t}"}, "") for t in token_list]
        run("userinfo, JWT access token", "/oidc/userinfo", bearer, "GET", "≥ 1,500/s")
        run("GET /api/v1/me, JWT access token", "/api/v1/me", bearer, "GET", "≥ 1,500/s")
        if not cold:
            intro = [(form, urllib.parse.urlencode({"token": t})) for t in token_list]
            run("introspection", "/oidc/introspect", intro, "POST", "≥ 1,000/s")
    finally:
        _common.stop_server(server)


def _people(token_list: list[str]) -> list[str]:
    from zhengtong.identity.server import unverified_claims

    return [unverified_claims(t)["sub"] for t in token_list]


def main() -> None:
    args = _args()
    REDIS[0] = args.redis
    _django(args.db)
    if args.prepare or not args.reuse or not STATE.exists():
        prepare(args.db, args.tokens, args.people)
        if args.prepare:
            return
    elif args.remint:
        STATE.write_text(json.dumps({"db": args.db, "tokens": mint(args.tokens)}))
    token_list = json.loads(STATE.read_text())["tokens"]
    rows: list = []
    for app in [a.strip() for a in args.apps.split(",") if a.strip()]:
        measure(args, app, token_list, rows)
    load = os.getloadavg()
    print(
        f"\nidentity over HTTP: {args.server} {args.workers}×{_kind(args)} + wrk (8 connections) on the same "
        f"{os.cpu_count()} cores, PostgreSQL, Redis cache; {args.seconds} s per measure; distinct "
        f"codes/tokens of {len(set(_people(token_list)))} persons; "
        f"load average now {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n"
    )
    print("| measure | wall clock | p50 / p95 ms | server CPU per request | PostgreSQL CPU per request | connections per worker | errors | load | target (2 cores) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
