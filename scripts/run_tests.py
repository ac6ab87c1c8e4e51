"""Run the whole pytest suite on SQLite, then again on PostgreSQL when one is reachable.

Prints which databases ran and a closing line "total: N passed, N failed".
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def postgres_reachable(url: str) -> tuple[bool, str]:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency
        return False, f"psycopg not importable: {exc}"
    # Connect to the maintenance database: the test database is created by pytest-django.
    base = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(base, connect_timeout=3) as conn:
            conn.execute("select 1")
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def run_suite(label: str, database_url: str, extra: list[str]) -> tuple[int, dict[str, int], float]:
    env = dict(os.environ, DATABASE_URL=database_url, ZHENGTONG_ENV="test")
    print(f"\n=== pytest on {label} ({database_url.split('@')[-1]}) ===", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-ra", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    counts: dict[str, int] = {}
    assert proc.stdout is not None
    last = ""
    for line in proc.stdout:
        sys.stdout.write(line)
        if line.strip():
            last = line
    proc.wait()
    for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", last):
        counts[word.rstrip("s") if word.startswith("error") else word] = int(number)
    return proc.returncode, counts, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/zhengtong")
    parser.add_argument("--sqlite-only", action="store_true")
    args, extra = parser.parse_known_args()

    env_url = os.environ.get("DATABASE_URL", "")
    pg_url = env_url if env_url.startswith(("postgres://", "postgresql://")) else args.postgres_url
    runs: list[tuple[str, int, dict[str, int], float]] = []

    code, counts, secs = run_suite("SQLite", "sqlite:///var/test.sqlite3", extra)
    runs.append(("SQLite", code, counts, secs))
    if args.sqlite_only:
        print("\nPostgreSQL: skipped (--sqlite-only)")
    else:
        ok, why = postgres_reachable(pg_url)
        if ok:
            code, counts, secs = run_suite("PostgreSQL", pg_url, extra)
            runs.append(("PostgreSQL", code, counts, secs))
        else:
            print(f"\nPostgreSQL: not reachable at {pg_url.split('@')[-1]} ({why}); suite ran on SQLite only")

    print("\n=== databases ===")
    passed = failed = 0
    for label, code, counts, secs in runs:
        passed += counts.get("passed", 0)
        failed += counts.get("failed", 0) + counts.get("error", 0)
        detail = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no result line"
        print(f"{label:<11} exit {code}  {detail}  ({secs:.0f} s)")
    worst = max(code for _, code, _, _ in runs)
    if worst == 5:
        print("no tests were collected")
    print(f"total: {passed} passed, {failed} failed")
    return 0 if worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
