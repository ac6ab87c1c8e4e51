"""Two installations in two processes (跨地域), as `make run` serves them: this test's live server
(Zhejiang) and the demo's second installation (安徽省, `seed_peer_demo`) running in gunicorn with
its own SQLite database, secrets and signing keys. A Zhejiang department requests verification
against 蜀山区's population registry, 安徽省's approvers approve it there, the key comes back, and a
verification call is answered, logged on both sides and receipted; the caller's receipt verifies
with the independent script and 安徽省's published keys."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.test import Client
from django.utils import timezone

from zhengtong.core.errors import NotFound
from zhengtong.sharing import selectors, services
from zhengtong.sharing.models import Exchange, RemoteRequest

ROOT = Path(__file__).resolve().parents[3]
ME, PEER = "zj-test", "anhui-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Anhui:
    """The second installation: commands run in its environment, its web server in gunicorn."""

    def __init__(self, tmp: Path, main_url: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ZHENGTONG_ENV": "test",
            "ZHENGTONG_VAR_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'anhui.sqlite3'}",
            "REDIS_URL": "",
            "SHARING_INSTALLATION_ID": PEER,
            "SHARING_PEERS": f"{ME}={main_url}",
        }

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def python(self, code: str):
        """Run ``code`` in the second installation (its own service functions, as its staff); the
        JSON it prints on its last line is returned."""
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def start(self) -> subprocess.Popen:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "zhengtong.wsgi", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", "1", "--threads", "4", "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
        )
        for _ in range(150):
            try:
                if requests.get(f"{self.url}/api/v1/sharing/installation", timeout=10).ok:
                    return server
            except requests.RequestException:  # not listening yet, or still loading the app
                pass
            time.sleep(0.2)
        server.kill()
        raise AssertionError("the second installation did not start")


@pytest.fixture
def anhui(live_server, settings, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the second installation starts from a copy of the SQLite test database's schema")
    # Its database: this test database's migrated schema (empty at the start of a transactional
    # test), copied with SQLite's online backup; then its own demo is loaded into it.
    source = sqlite3.connect(connection.settings_dict["NAME"])
    target = sqlite3.connect(tmp_path / "anhui.sqlite3")
    source.backup(target)
    source.close()
    target.close()
    peer = Anhui(tmp_path, live_server.url)
    peer.manage("seed_peer_demo")
    server = peer.start()
    settings.SHARING_INSTALLATION_ID = ME
    settings.SHARING_PEERS = [f"{PEER}={peer.url}"]
    yield peer
    server.terminate()
    server.wait(timeout=20)


APPROVE = """
import json
from zhengtong.accounts.selectors import user_with_username
from zhengtong.sharing import selectors, services
from zhengtong.sharing.models import SharingRequest
request = SharingRequest.objects.get(origin="zj-test")
services.request_approve(actor=user_with_username("ah_clerk"), request=request, note="同意，仅限核验")
request.refresh_from_db()
if request.state != "approved":
    services.request_approve(actor=user_with_username("ah_data_officer"), request=request, note="L3，同意")
request.refresh_from_db()
print(json.dumps({"state": request.state, "origin_department": request.origin_department}))
"""

PERSON = """
import json
from zhengtong.registry.selectors import persons_for
from zhengtong.accounts.selectors import user_with_username
person = persons_for(user_with_username("ah_clerk")).order_by("id").first()
print(json.dumps({"resident_id": person.resident_id, "name": person.name}))
"""

SERVED = """
import json
from zhengtong.sharing.models import Exchange
print(json.dumps([
    {"case": e.on_behalf_of, "outcome": e.outcome, "peer": e.peer, "receipt": str(e.receipt_id)}
    for e in Exchange.objects.filter(direction="in").order_by("id")
]))
"""


@pytest.mark.django_db(transaction=True)
def test_verification_between_two_running_installations(anhui, world, tmp_path):
    from zhengtong.sharing.tests.conftest import Shr

    shr = Shr(world, person=False)
    caller = shr.yiwu_consumer  # 义乌市市场监管局's counter staff, here in Zhejiang
    # Each trusts the other through its anchor: keys and endpoints imported over HTTP.
    services.peer_refresh(actor=None, installation=PEER, via="sharing")
    assert f"{ME}: " in anhui.manage("sharing_peers", "--wait", "30")
    # Browse what 安徽省 shares with us and ask for identity verification against 蜀山区's registry.
    sources = services.peer_catalogue(actor=caller, installation=PEER)
    registry = next(s for s in sources if "蜀山区" in json.dumps(s, ensure_ascii=False))
    shareable = {f["name"] for f in registry["fields"]}
    assert {"resident_id", "name"} <= shareable and "phone" not in shareable
    row = services.remote_request_create(
        actor=caller,
        installation=PEER,
        profile=registry["id"],
        fields=["resident_id", "name"],
        purpose="跨省通办：核验异地申请人身份",
        legal_basis="《国务院办公厅关于加快推进政务服务“跨省通办”的指导意见》",
        valid_until=timezone.localdate() + dt.timedelta(days=90),
    )
    assert row.state == "pending" and not row.key_sealed
    with pytest.raises(NotFound):  # nothing to call with before 安徽省 decides
        services.remote_verify(actor=caller, installation=PEER, subject={"resident_id": "1"})
    # 安徽省's owner and data security officer approve it there, in their own installation.
    decided = anhui.python(APPROVE)
    assert decided["state"] == "approved" and decided["origin_department"] == caller.department.name
    row = services.remote_request_check(actor=caller, request=row)
    assert row.state == "approved" and row.grant_state == "active" and row.key_sealed
    person = anhui.python(PERSON)
    answer = services.remote_verify(
        actor=caller, installation=PEER, subject=person, on_behalf_of="YW-KS-2026-1"
    )
    assert answer["result"] == "match"
    wrong = services.remote_verify(
        actor=caller,
        installation=PEER,
        subject={"resident_id": person["resident_id"], "name": person["name"] + "某"},
        on_behalf_of="YW-KS-2026-2",
    )
    assert wrong["result"] == "no_match"
    # The same through the page: the form asks for the kept grant's fields; an empty form is
    # refused naming the field, and calls nothing.
    page = Client()
    page.force_login(caller)
    page.cookies["zt_lang"] = "zh-hans"
    before = Exchange.objects.count()
    empty = page.post(f"/sharing/peers/{PEER}/", {"do": "verify", "v-on_behalf_of": "YW-KS-2026-3"})
    assert empty.status_code == 200 and "v-s_resident_id" in empty.content.decode()
    assert empty.context["verify_form"].errors["s_resident_id"] and Exchange.objects.count() == before
    shown = page.post(
        f"/sharing/peers/{PEER}/",
        {
            "do": "verify",
            "v-s_resident_id": person["resident_id"],
            "v-s_name": person["name"],
            "v-on_behalf_of": "YW-KS-2026-3",
        },
    )
    assert shown.status_code == 200 and shown.context["verified"]["receipt"]
    assert shown.context["verified"]["code"] == "match" and "一致" in shown.content.decode()
    # Logged on both sides, with the case number; the receipts are the same.
    called = {e.on_behalf_of: e for e in Exchange.objects.filter(direction="out", peer=PEER)}
    served = {e["case"]: e for e in anhui.python(SERVED)}
    assert called["YW-KS-2026-3"].receipt["id"] == shown.context["verified"]["receipt"]
    for case in ("YW-KS-2026-1", "YW-KS-2026-2", "YW-KS-2026-3"):
        assert called[case].outcome == served[case]["outcome"] == "ok"
        assert served[case]["peer"] == ME
        assert called[case].receipt["id"] == served[case]["receipt"]
    assert RemoteRequest.objects.get(pk=row.pk).grant_state == "active"
    # The caller's receipt verifies with 安徽省's published keys and a script without project code.
    spec = importlib.util.spec_from_file_location("verify_receipt", ROOT / "scripts" / "verify_receipt.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    jwks = requests.get(f"{anhui.url}/seals/keys.json", timeout=5).json()
    receipt = selectors.receipt_of(called["YW-KS-2026-1"])
    assert receipt["payload"]["consumer"] == ME and receipt["payload"]["on_behalf_of"] == "YW-KS-2026-1"
    assert script.verify(receipt, jwks) == (True, "valid")
    forged = json.loads(json.dumps(receipt))
    forged["payload"]["on_behalf_of"] = "YW-KS-2026-9"
    assert script.verify(forged, jwks)[0] is False
