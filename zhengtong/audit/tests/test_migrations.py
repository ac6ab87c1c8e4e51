"""A real installation's path: ``migrate`` outside the test settings installs the append-only
triggers at each migration's point (the test database is migrated without them)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_migrate_outside_tests_installs_the_append_only_triggers(tmp_path):
    db = tmp_path / "fresh.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "ZHENGTONG_ENV": "development",
        "ZHENGTONG_VAR_DIR": str(tmp_path / "var"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "audit", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_%'"
            )
        }
        assert names == {
            f"audit_{table}_no_{verb}"
            for table in ("event", "logentry", "node", "treehead")
            for verb in ("update", "delete")
        }
        conn.execute(
            "INSERT INTO audit_audittreehead (tree_size, root_hash, timestamp, prev_head_hash, kid, signature) "
            "VALUES (1, 'r', '2026-01-01', 'p', 'k', 's')"
        )
        try:
            conn.execute("DELETE FROM audit_audittreehead")
        except sqlite3.DatabaseError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("deleting a signed tree head was not refused")
