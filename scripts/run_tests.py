"""Run the whole pytest suite on SQLite and on PostgreSQL (when one is reachable), side by side.

The two runs are separate processes with their own databases and their own ``var`` directory
(``var/test-sqlite``, ``var/test-postgresql``), so on a machine with two cores or more they take
about as long as the slower one (``--sequential`` runs one after the other, streaming the output).
Some kinds of test need one run only (conftest's ``--without``): the tests that do not use the
database cannot reach one (pytest-django blocks them), and the Chromium walk-throughs drive pages
whose services run on both databases in their own tests. ``ONE_RUN`` gives each kind to one of the
two runs, so that both take about as long; a SQLite-only run takes every test.
Prints each run's output, which databases ran and a closing line "total: N passed, N failed".
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Which run takes each kind of test that needs one run only (see the module's docstring).
ONE_RUN = {"no-database": "SQLite", "browser": "SQLite"}


def without(label: str) -> list[str]:
    """The ``--without`` options of the run ``label`` when both databases run."""
    kinds = [kind for kind, run in sorted(ONE_RUN.items()) if run != label]
    # and the tests marked one_database for the other engine (the marker names the one they run on)
    return [arg for kind in [*kinds, "other-database"] for arg in ("--without", kind)]


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


def _env(database_url: str, label: str) -> dict[str, str]:
    var = os.path.join(ROOT, "var", f"test-{label.lower()}")
    os.makedirs(var, exist_ok=True)
    return dict(os.environ, DATABASE_URL=database_url, ZHENGTONG_ENV="test", ZHENGTONG_VAR_DIR=var)


def _counts(last: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", last):
        counts[word.rstrip("s") if word.startswith("error") else word] = int(number)
    return counts


def start_suite(label: str, database_url: str, extra: list[str], log_path: str | None):
    """Start one run; its output goes to ``log_path`` (or is streamed when None)."""
    out = open(log_path, "w", encoding="utf-8") if log_path else subprocess.PIPE  # noqa: SIM115 - closed in finish_suite
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-ra", *extra],
        cwd=ROOT,
        env=_env(database_url, label),
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, out, time.monotonic()


def finish_suite(label: str, database_url: str, proc, out, started: float, log_path: str | None):
    print(f"\n=== pytest on {label} ({database_url.split('@')[-1]}) ===", flush=True)
    last = ""
    if log_path is None:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            if line.strip():
                last = line
        proc.wait()
    else:
        proc.wait()
        out.close()
        with open(log_path, encoding="utf-8") as f:
            for line in f:
                sys.stdout.write(line)
                if line.strip():
                    last = line
    return proc.returncode, _counts(last), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/zhengtong")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--sequential", action="store_true", help="one database after the other")
    args, extra = parser.parse_known_args()

    env_url = os.environ.get("DATABASE_URL", "")
    pg_url = env_url if env_url.startswith(("postgres://", "postgresql://")) else args.postgres_url
    runs: list[tuple[str, int, dict[str, int], float]] = []

    parallel = not args.sequential
    suites = [("SQLite", "sqlite:///var/test.sqlite3", extra)]
    if args.sqlite_only:
        print("\nPostgreSQL: skipped (--sqlite-only)")
    else:
        ok, why = postgres_reachable(pg_url)
        if ok:
            suites = [("SQLite", suites[0][1], [*without("SQLite"), *extra])]
            suites.append(("PostgreSQL", pg_url, [*without("PostgreSQL"), *extra]))
        else:
            print(f"\nPostgreSQL: not reachable at {pg_url.split('@')[-1]} ({why}); suite ran on SQLite only")
    if parallel and len(suites) > 1:
        print(f"running {' and '.join(label for label, _, _ in suites)} side by side ...", flush=True)
        started = []
        for label, url, args_ in suites:
            log = os.path.join(ROOT, "var", f"test-{label.lower()}.log")
            os.makedirs(os.path.dirname(log), exist_ok=True)
            started.append((label, url, *start_suite(label, url, args_, log), log))
        for label, url, proc, out, t0, log in started:
            code, counts, secs = finish_suite(label, url, proc, out, t0, log)
            runs.append((label, code, counts, secs))
    else:
        for label, url, args_ in suites:
            code, counts, secs = finish_suite(label, url, *start_suite(label, url, args_, None), None)
            runs.append((label, code, counts, secs))

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
