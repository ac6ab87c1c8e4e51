"""Sharing benchmarks: verification (核验) calls over HTTP, each logged with its signed receipt,
and receipt verification offline (the independent script's path and the platform's).

    .venv/bin/python bench/sharing.py                       # 10 s of HTTP load
    BENCH_HTTP_SECONDS=5 BENCH_PERSONS=200 .venv/bin/python bench/sharing.py

The HTTP test runs gunicorn (3 sync workers) on a throwaway SQLite database with a population
registry of BENCH_PERSONS persons, one verification grant and its key; wrk (or a Python client)
cycles through the persons on the same machine, so it competes for the same cores. Receipt
verification runs in this process (one core).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

ROWS: list[tuple[str, str, str, str, str]] = []

SETUP = """
import datetime as dt, json
from django.utils import timezone
from zhengtong.accounts import services as acc
from zhengtong.accounts.services import system_actor
from zhengtong.accounts.models import OrgUnit
from zhengtong.core.identifiers import generate_resident_id
from zhengtong.registry import services as registry
from zhengtong.sharing import services

acc.org_units_load_tree(actor=None, tree={"code": "330000", "name": "浙江省", "level": "province", "children": [
    {"code": "330100", "name": "杭州市", "level": "city", "children": [
        {"code": "330106", "name": "西湖区", "level": "county", "children": []}]}]})
s = system_actor()
xihu = OrgUnit.objects.get(code="330106")
gaj = acc.department_create(actor=s, org_unit=xihu, code="gaj", name="西湖区公安分局")
scjg = acc.department_create(actor=s, org_unit=xihu, code="scjg", name="西湖区市场监督管理局")
def staff(name, role, dept):
    u = acc.user_create(actor=s, username=name, password="Bench-pass-2025!", kind="staff", org_unit=xihu, department=dept)
    acc.role_grant(actor=s, user=u, role=role, org_unit=xihu, department=dept)
    return u
owner, consumer = staff("owner", "sharing_admin", gaj), staff("consumer", "counter_staff", scjg)
officer = staff("officer", "data_officer", None)
people = []
for i in range(%(persons)d):
    rid = generate_resident_id("330106", dt.date(1960, 1, 1) + dt.timedelta(days=37 * i), 11 + 2 * (i %% 400))
    registry.person_create(actor=s, org_unit=xihu, resident_id=rid, name=f"测试{i}", phone="13900000000", address="西湖区")
    people.append([rid, f"测试{i}"])
profile = services.profile_set(actor=owner, registry="person", org_unit=xihu, department=gaj, sharing_type="conditional", fields={})
req = services.request_create(actor=consumer, profile=profile, fields=["resident_id", "name"], purpose="bench",
    legal_basis="bench", mode="verification", rate_limit_per_minute=100000000, valid_until=timezone.localdate() + dt.timedelta(days=30))
services.request_approve(actor=owner, request=req)
services.request_approve(actor=officer, request=req)
req.refresh_from_db()
_row, secret = services.grant_key_issue(actor=consumer, grant=req.grant)
print("ZTBENCH " + json.dumps({"secret": secret, "people": people}))
"""


def add(measure: str, size: str, ours: str, target: str, note: str = "") -> None:
    ROWS.append((measure, size, ours, target, note))
    print(f"  {measure}: {ours} ({size}) {note}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_http(seconds: int, persons: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="zt-sharing-bench-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        ZHENGTONG_ENV="development",
        DEBUG="false",
        VAR_DIR=str(tmp),
        SHARING_MAX_RATE_PER_MINUTE="100000000",
        SHARING_INSTALLATION_ID="bench",
    )
    py = sys.executable
    try:
        subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [py, "manage.py", "shell", "-c", SETUP % {"persons": persons}],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data = json.loads(next(x for x in out.splitlines() if x.startswith("ZTBENCH "))[8:])
        port = _free_port()
        server = subprocess.Popen(
            [str(Path(py).parent / "gunicorn"), "zhengtong.wsgi", "-w", "3", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "-k", "sync"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {data['secret']}"}
            bodies = [
                json.dumps(
                    {"subject": {"resident_id": rid, "name": name}, "on_behalf_of": f"BENCH-{i}"},
                    ensure_ascii=False,
                )
                for i, (rid, name) in enumerate(data["people"])
            ]
            deadline = time.perf_counter() + 120
            while time.perf_counter() < deadline:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("POST", "/api/v1/sharing/exchange/verify", bodies[0].encode(), headers)
                    response = conn.getresponse()
                    answer = response.read()
                    if response.status == 200:
                        assert b'"match"' in answer, answer
                        break
                except OSError:
                    time.sleep(0.5)
            from loadgen import wrk_requests

            result = wrk_requests(
                port,
                "/api/v1/sharing/exchange/verify",
                [(headers, b) for b in bodies],
                seconds=seconds,
                connections=16,
            )
            if result is None:
                add("verification over HTTP", f"{seconds} s", "wrk not installed", "≥ 1,000/s, p95 ≤ 50 ms")
                return
            logged = subprocess.run(
                [py, "manage.py", "shell", "-c",
                 "from zhengtong.sharing.models import Exchange; print(Exchange.objects.filter(outcome='ok').count())"],
                cwd=ROOT, env=env, check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]  # fmt: skip
            add(
                "POST /api/v1/sharing/exchange/verify (logged + ES256 receipt), gunicorn 3×sync, wrk 16 conns",
                f"{seconds} s, {persons} persons, SQLite",
                f"{result['rps']:,.0f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms",
                "≥ 1,000 req/s, p95 ≤ 50 ms (PostgreSQL, 2 cores)",
                f"{result['errors']} errors; {logged} exchanges logged; client on the same cores",
            )
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
            f"{n} receipts, 1 core",
            f"{best:,.0f} /s",
            "≥ 5,000 /s per core",
        )


def main() -> None:
    import django

    django.setup()
    print("sharing benchmark (machine shared with other work: figures are lower bounds)", flush=True)
    bench_offline(int(os.environ.get("BENCH_RECEIPTS", "5000")))
    bench_http(int(os.environ.get("BENCH_HTTP_SECONDS", "10")), int(os.environ.get("BENCH_PERSONS", "300")))
    print("\n| measure | size | ours | target | note |\n|---|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
