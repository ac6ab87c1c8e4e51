"""Every benchmark script answers ``--help`` with its usage and runs nothing (issue 16).

A benchmark that starts on ``--help`` can spend minutes, or write to the checkout's own database.
The scripts run in a child process with ``DATABASE_URL`` pointing at a file that must not appear.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
# Modules the benchmarks import (no ``main``), not benchmarks.
HELPER_MODULES = {"_common", "loadgen", "opendata_data", "_population", "codes_independent_decode"}
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.stem not in HELPER_MODULES)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_usage_and_runs_nothing(script, tmp_path):
    canary = tmp_path / "must-not-exist.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{canary}", ZHENGTONG_ENV="test")
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.strip()) > 40, f"{script} --help printed no usage: {done.stdout!r}"
    assert not canary.exists(), f"{script} --help opened a database"
    assert list(tmp_path.iterdir()) == [], f"{script} --help wrote files: {list(tmp_path.iterdir())}"
