"""Open-data use benchmarks: the public list of data requests (first and deep keyset pages), the
figures per department over many requests, submitting a request (clock, notification, follow).

Runs in a throwaway database on whatever DATABASE_URL points at:

    .venv/bin/python bench/datause.py                 # SQLite
Size: BENCH_REQUESTS (default 20000 requests over 20 departments).
"""

from __future__ import annotations

import os
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

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

ROWS: list[tuple[str, ...]] = []


def stats(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def timed(fn, n: int) -> tuple[list[float], int]:
    samples, queries = [], 0
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    return samples, queries


def main() -> None:
    import logging

    logging.disable(logging.INFO)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(int(os.environ.get("BENCH_REQUESTS", "20000")))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    table = Table(title=f"open-data use ({connection.vendor})")
    for col in ("measure", "size", "median ms", "p95 ms", "queries"):
        table.add_column(col)
    for row in ROWS:
        table.add_row(*row)
    Console().print(table)


def run(size: int) -> None:
    from django.conf import settings
    from django.utils import timezone

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit, UserKind
    from zhengtong.accounts.services import system_actor
    from zhengtong.core.pagination import keyset_page
    from zhengtong.datause import selectors, services
    from zhengtong.datause.models import DataRequest

    settings.DATAUSE_WRITES_PER_HOUR = 10**6
    acc.org_units_load_tree(actor=None, tree={"code": "330000", "name": "浙江省", "level": "province"})
    unit = OrgUnit.objects.get(code="330000")
    system = system_actor()
    departments = [
        acc.department_create(actor=system, org_unit=unit, code=f"d{i:02d}", name=f"部门{i}")
        for i in range(20)
    ]
    citizen = acc.user_create(
        actor=None, username="bench-citizen", password="Bench-pass-2025!", kind=UserKind.CITIZEN
    )
    now = timezone.now()
    DataRequest.objects.bulk_create(
        [
            DataRequest(
                title=f"需求{i}",
                description="说明",
                department=departments[i % 20],
                org_unit=unit,
                requester=citizen,
                state=("submitted", "answered", "fulfilled")[i % 3],
                outcome=("", "open", "refused")[i % 3],
                answered_on_time=None if i % 3 == 0 else bool(i % 2),
                answered_at=None if i % 3 == 0 else now,
            )
            for i in range(size)
        ],
        batch_size=2000,
    )
    first = keyset_page(selectors.public_requests(), order=["-created_at", "-id"], cursor=None, limit=20)
    samples, q = timed(
        lambda: keyset_page(selectors.public_requests(), order=["-created_at", "-id"], cursor=None, limit=20),
        30,
    )
    ROWS.append(
        ("public requests, first page (20)", str(size), *(f"{v:.1f}" for v in stats(samples)), str(q))
    )
    cursor = first.next_cursor
    for _ in range(200):
        cursor = keyset_page(
            selectors.public_requests(), order=["-created_at", "-id"], cursor=cursor, limit=20
        ).next_cursor
    samples, q = timed(
        lambda: keyset_page(
            selectors.public_requests(), order=["-created_at", "-id"], cursor=cursor, limit=20
        ),
        30,
    )
    ROWS.append(("public requests, page 202 (20)", str(size), *(f"{v:.1f}" for v in stats(samples)), str(q)))
    samples, q = timed(selectors.request_counts_by_department, 10)
    ROWS.append(("figures per department", str(size), *(f"{v:.1f}" for v in stats(samples)), str(q)))
    samples, q = timed(
        lambda: services.request_submit(
            actor=citizen, title="基准需求", description="说明", department=departments[0]
        ),
        50,
    )
    ROWS.append(("submit a request", "1", *(f"{v:.1f}" for v in stats(samples)), str(q)))


if __name__ == "__main__":
    main()
