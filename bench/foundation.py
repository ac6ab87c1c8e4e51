"""Foundation benchmarks: audit trail, workflow, permission-scoped look-ups, CSV import, calendar.

Runs in a throwaway database (created and dropped here) on whatever DATABASE_URL points at:

    .venv/bin/python bench/foundation.py                      # SQLite (embedded default)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhengtong .venv/bin/python bench/foundation.py

Prints one table: operation, size, median, p95, throughput, peak memory (RSS). No peer system is
named for these operations, so there is no peer column.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import _common  # noqa: E402 - bench/ is the script's directory

_common.usage_if_asked(__doc__)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROWS: list[tuple[str, str, str, str, str, str]] = []


def peak_mb() -> str:
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def timed(label: str, size: str, fn, repeat: int, per_call_items: int = 1) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    median = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    throughput = per_call_items / median if median else float("inf")
    ROWS.append(
        (label, size, f"{median * 1000:.2f} ms", f"{p95 * 1000:.2f} ms", f"{throughput:,.0f}/s", peak_mb())
    )


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    table = Table(title=f"Zhengtong foundation benchmarks ({connection.vendor}, {os.cpu_count()} cores)")
    for col in ("operation", "size", "median", "p95", "throughput", "peak RSS"):
        table.add_column(col)
    for row in ROWS:
        table.add_row(*row)
    Console(width=150).print(table)


def run() -> None:
    from _population import build_population  # noqa: PLC0415

    from zhengtong.audit import actions, log
    from zhengtong.audit.services import record
    from zhengtong.core.calendar import add_working_days
    from zhengtong.registry import importers, services
    from zhengtong.registry.models import Licence, LicenceType

    world = build_population(persons=int(os.environ.get("BENCH_PERSONS", "100000")))
    actions.register({"bench.touch": "bench"})

    def audit_batch():
        with transaction.atomic():
            for _ in range(100):
                record(actor=world.system, action="bench.touch", target_type="bench", target_id="1")

    timed("audit.record (100 events per transaction)", "100 events", audit_batch, 20, 100)

    def audit_single():
        with transaction.atomic():
            record(actor=world.system, action="bench.touch", target_type="bench", target_id="1")

    timed("audit.record (one event per transaction)", "1 event", audit_single, 200)
    timed("audit log: sequence the queued events", f"{world.audit_count()} events", log.run_until_idle, 1)
    timed(
        "audit_verify (walk the whole log)",
        f"{world.audit_count()} events",
        lambda: log.verify_log(),
        3,
        world.audit_count(),
    )

    lt = LicenceType.objects.create(code="bench", name="bench", holder_kind="person")
    person = world.any_person()
    licences = [
        services.licence_issue(
            actor=world.system,
            licence_type=lt,
            number=f"B{i}",
            issuing_department=world.dept,
            valid_from=dt.date(2020, 1, 1),
            holder_person=person,
        )
        for i in range(300)
    ]
    it = iter(licences)
    timed(
        "workflow transition (permission, conditional UPDATE, timeline, audit)",
        "1 transition",
        lambda: Licence.workflow.apply(next(it), "suspend", actor=world.clerk, note="bench"),
        300,
    )

    client = Client()
    client.force_login(world.clerk)
    timed(
        "GET /api/v1/registry/persons (county scope, first page of 50)",
        f"{world.persons:,} persons",
        lambda: client.get("/api/v1/registry/persons", {"limit": 50}),
        200,
    )
    timed(
        "GET /api/v1/registry/persons?q=<resident ID> (exact look-up)",
        f"{world.persons:,} persons",
        lambda: client.get("/api/v1/registry/persons", {"q": world.sample_id}),
        200,
    )
    timed(
        "GET /api/v1/me",
        "1 user",
        lambda: client.get("/api/v1/me"),
        200,
    )
    timed(
        "add_working_days(start, 20)",
        "1 deadline",
        lambda: add_working_days(dt.date(2025, 9, 1), 20),
        2000,
    )
    csv_bytes = world.csv(rows=20000)
    timed(
        "CSV import of persons (validate all, then write in one transaction)",
        "20,000 rows",
        lambda: importers.registry_import(
            actor=world.system, kind="persons", raw=csv_bytes, filename="bench.csv"
        ),
        3,
        20000,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
