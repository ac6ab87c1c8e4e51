"""Checks read routing against a real primary and streaming replica (run by
``tests/test_replicas_live.py`` in a process of its own, whose settings name both databases).

Prints one ``ok: …`` line per check and exits non-zero at the first failure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")

import django  # noqa: E402 - the settings are chosen first

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from zhengtong.accounts import services as accounts  # noqa: E402
from zhengtong.core import replicas  # noqa: E402

URL = "/api/v1/departments?org_unit=330000"


def ok(message: str) -> None:
    print("ok:", message, flush=True)


def fail(message: str) -> None:
    print("FAILED:", message, flush=True)
    sys.exit(1)


def replica_sql(statement: str):
    with connections["replica1"].cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()


def wait_replayed() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        target = cursor.fetchone()[0]
    for _ in range(600):
        if replica_sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]:
            return
        time.sleep(0.05)
    fail("the replica did not replay the primary's writes within 30 s")


def get(client: Client, *, replica_up: bool = True) -> tuple[list[str], int, int]:
    """The department codes listed, and how many department queries each database answered."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1" if replica_up else "default"]) as replica,
    ):
        response = client.get(URL)
    if response.status_code != 200:
        fail(f"GET {URL} answered {response.status_code}: {response.content[:200]!r}")
    on_primary = sum("accounts_department" in q["sql"] for q in primary.captured_queries)
    on_replica = sum("accounts_department" in q["sql"] for q in replica.captured_queries) if replica_up else 0
    return sorted(d["code"] for d in response.json()), on_primary, on_replica


def main() -> None:
    if "replica1" not in connections.databases:
        fail("DATABASE_REPLICA_URLS is not set")
    call_command("migrate", verbosity=0)
    actor = accounts.system_actor()
    province = accounts.org_unit_create(
        actor=None, code="330000", name="浙江省", level="province", parent=None
    )
    accounts.department_create(actor=actor, org_unit=province, code="dept-a", name="甲厅")
    wait_replayed()
    citizen_a, citizen_b = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")

    codes, on_primary, on_replica = get(citizen_b)
    if codes != ["dept-a"] or on_primary or not on_replica:
        fail(f"a GET list should read the replica: {codes}, primary {on_primary}, replica {on_replica}")
    ok("a GET list is answered from the replica")

    replica_sql("SELECT pg_wal_replay_pause()")
    accounts.department_create(actor=actor, org_unit=province, code="dept-b", name="乙厅")
    # Citizen A writes (any unsafe request pins the client to the primary's position).
    citizen_a.post(URL, data={})
    codes, on_primary, on_replica = get(citizen_a)
    if codes != ["dept-a", "dept-b"] or on_replica or not on_primary:
        fail(f"after its write, A must read its write from the primary: {codes}, replica {on_replica}")
    ok("read-your-own-writes: the client that wrote reads from the primary while the replica lags")

    codes, on_primary, on_replica = get(citizen_b)
    if codes != ["dept-a"] or on_primary or not on_replica:
        fail(f"a client with no write of its own may read the lagging replica: {codes}")
    ok("a client without a pending write reads the replica (lag within DATABASE_REPLICA_MAX_LAG_SECONDS)")

    time.sleep(1.2)
    with override_settings(DATABASE_REPLICA_MAX_LAG_SECONDS=1):
        codes, on_primary, on_replica = get(citizen_b)
    if codes != ["dept-a", "dept-b"] or on_replica or not on_primary:
        fail(f"a replica lagging more than the limit must not be read: {codes}, replica {on_replica}")
    ok("a replica lagging beyond DATABASE_REPLICA_MAX_LAG_SECONDS is not read")

    replica_sql("SELECT pg_wal_replay_resume()")
    wait_replayed()
    codes, on_primary, on_replica = get(citizen_a)
    if codes != ["dept-a", "dept-b"] or on_primary or not on_replica:
        fail(f"once the replica has replayed A's write, A reads the replica: {codes}, primary {on_primary}")
    ok("once the replica has replayed the client's write, the client reads the replica again")

    with CaptureQueriesContext(connections["replica1"]) as replica:
        response = citizen_a.post("/api/v1/departments", data={})
    if any("accounts_department" in q["sql"] for q in replica.captured_queries):
        fail("a POST read from the replica")
    ok(f"unsafe requests never read the replica (POST answered {response.status_code})")

    connections["replica1"].close()
    connections["replica1"].settings_dict["PORT"] = "1"
    replicas._probes.clear()
    codes, on_primary, _ = get(citizen_b, replica_up=False)
    if codes != ["dept-a", "dept-b"] or not on_primary:
        fail(f"with the replica unreachable, reads go to the primary: {codes}")
    ok("an unreachable replica is left out and reads go to the primary")


if __name__ == "__main__":
    main()
