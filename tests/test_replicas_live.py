"""Read routing against a real streaming replica: the harness starts a PostgreSQL primary and a
``pg_basebackup`` replica of it in a temporary directory, and ``replica_checks.py`` runs in a
process whose settings name both (``make test-replica`` runs only this).

It runs once per ``make test``, in the SQLite run (it needs neither run's database, and the
PostgreSQL run is the longer one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests import replica_harness

pytestmark = [
    pytest.mark.skipif(replica_harness.bindir() is None, reason="PostgreSQL server binaries not installed"),
    pytest.mark.skipif(
        connection.vendor != "sqlite" and not os.environ.get("ZT_REPLICA_CHECK"),
        reason="runs in the SQLite run of make test (make test-replica runs it alone)",
    ),
]

EXPECTED = [
    "a GET list is answered from the replica",
    "read-your-own-writes",
    "a client without a pending write reads the replica",
    "a replica lagging beyond DATABASE_REPLICA_MAX_LAG_SECONDS is not read",
    "once the replica has replayed the client's write",
    "unsafe requests never read the replica",
    "an unreachable replica is left out",
]


def test_reads_follow_the_replica_and_the_clients_writes(tmp_path):
    root = Path(__file__).resolve().parent.parent
    with replica_harness.postgres_pair() as pair:
        env = dict(
            os.environ,
            ZHENGTONG_ENV="test",
            ZHENGTONG_VAR_DIR=str(tmp_path),
            DATABASE_URL=pair.primary_url,
            DATABASE_REPLICA_URLS=pair.replica_url,
            DATABASE_REPLICA_MAX_LAG_SECONDS="3600",
            DATABASE_REPLICA_PROBE_MS="0",
            DATABASE_CONN_MAX_AGE="0",
        )
        done = subprocess.run(
            [sys.executable, str(root / "tests" / "replica_checks.py")],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith(("ok:", "FAILED:"))]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(lines) == len(EXPECTED)
    for line, expected in zip(lines, EXPECTED, strict=True):
        assert line.startswith("ok: " + expected), line
