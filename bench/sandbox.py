"""Data sandbox benchmark: a job over 1,000,000 raw rows, end to end before human review.

    .venv/bin/python bench/sandbox.py                 # 1,000,000 rows (the issue's size)
    .venv/bin/python bench/sandbox.py --rows 200000 --repeat 3

Runs in a throwaway database (created and dropped here, on whatever DATABASE_URL points at) and a
temporary datastore directory. The 1,000,000-row enterprise registry of ``bench/datastore.py`` is
loaded through the catalogue's real load path (read, validate, classify, desensitize, write) and
published; a researcher's project over it is approved (which builds the synthetic workspace);
then each job is measured from ``job_submit`` to its checked output, i.e. everything before the
data officer's review: the rule check of the SQL, the job row and audit events, the run in the
datastore's SQL sandbox child process (a fresh Python + DuckDB, OS limits) on the raw Parquet
file, disclosure control (small cells, rounding, dominance, the differencing ledger) and the
stored output. The bare ``run_sql`` of the same planned query is shown beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from datastore import generate_enterprises  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

JOBS = [
    (
        "district × industry: count, sum, avg",
        "SELECT district, industry, count(*) AS n, sum(registered_capital) AS capital, avg(employees) AS staff "
        "FROM data GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    (
        "founding year × status: count",
        "SELECT year(founded_on) AS y, status, count(*) AS n FROM data GROUP BY ALL",
    ),
    (
        "district totals with a filter (differencing ledger checked)",
        "SELECT district, count(*) AS n, sum(registered_capital) AS capital FROM data "
        "WHERE type <> '个体工商户' GROUP BY 1",
    ),
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def build(rows: int, work: Path):
    from zhengtong.accounts import services as acc
    from zhengtong.accounts.services import system_actor
    from zhengtong.catalog import services as catalog

    system = system_actor()
    acc.org_units_load_tree(
        actor=None,
        tree={
            "code": "330000",
            "name": "浙江省",
            "level": "province",
            "children": [{"code": "330100", "name": "杭州市", "level": "city", "children": []}],
        },
    )
    from zhengtong.accounts import selectors as account_selectors

    city = account_selectors.org_unit_get("330100")
    dept = acc.department_create(actor=system, org_unit=city, code="scjg", name="杭州市市场监督管理局")

    def staff(username, role, department=None):
        user = acc.user_create(
            actor=system,
            username=username,
            password="x-Bench-2026!",
            kind="staff",
            org_unit=city,
            department=department,
        )
        acc.role_grant(actor=system, user=user, role=role, org_unit=city, department=department)
        return user

    publisher = staff("bench_publisher", "data_publisher", dept)
    officer = staff("bench_officer", "data_officer")
    researcher = staff("bench_researcher", "sandbox_researcher")
    csv_path = work / f"enterprises-{rows}.csv"
    generate_enterprises(rows, csv_path)
    resource_ = catalog.resource_create(
        actor=publisher,
        department=dept,
        name="bench-enterprises",
        title="企业登记信息（基准）",
        description="基准测试数据。",
        domain="economy",
        keywords=["企业"],
        update_frequency="monthly",
        openness="unconditional",
    )
    t0 = time.perf_counter()
    job = catalog.load_start(actor=publisher, resource=resource_, uploaded_file=str(csv_path), run_now=True)
    load_s = time.perf_counter() - t0
    assert job.state == "succeeded", (job.message, job.errors)
    resource_.refresh_from_db()
    catalog.field_grades_set(actor=publisher, resource=resource_, changes={}, confirm_all=True)
    resource_.refresh_from_db()
    catalog.resource_submit(actor=publisher, resource=resource_)
    catalog.resource_approve(actor=officer, resource=resource_)
    return publisher, officer, researcher, load_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from zhengtong.datastore import engine, storage
    from zhengtong.sandbox import disclosure, services

    setup_test_environment()
    work = Path(tempfile.mkdtemp(prefix="zt-bench-sandbox-"))
    settings.DATASTORE_DIR = str(work / "store")
    settings.CATALOG_UPLOAD_DIR = str(work / "uploads")
    storage.set_storage(None)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results = []
    try:
        publisher, officer, researcher, load_s = build(args.rows, work)
        today = timezone.localdate()
        t0 = time.perf_counter()
        project = services.project_apply(
            actor=researcher,
            title="基准项目",
            purpose="区县行业统计。",
            public_benefit="基准测试。",
            datasets=["bench-enterprises"],
            starts_on=today,
            ends_on=today + dt.timedelta(days=300),
            people_trained=True,
        )
        services.project_approve_owner(actor=publisher, project=project)
        services.project_approve(actor=officer, project=project)
        approve_s = time.perf_counter() - t0
        dataset = project.datasets.select_related("version").get()
        version = dataset.version
        fields = version.schema["fields"]
        results.append(
            (
                "load 1M rows through the catalogue (setup, no target)",
                f"{args.rows:,} rows",
                f"{load_s:.1f} s",
                "",
                "",
                "",
            )
        )
        results.append(
            (
                "apply + 2 approvals + synthetic workspace",
                "500 synthetic rows",
                f"{approve_s:.2f} s",
                "",
                "",
                "",
            )
        )
        for label, sql in JOBS:
            plan = disclosure.plan(sql, fields)
            bare = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                engine.run_sql(
                    version.table_key,
                    version.store_version,
                    "raw",
                    plan.sql,
                    timeout_s=60,
                    max_rows=1001,
                    memory_limit=settings.SANDBOX_JOB_MEMORY_LIMIT,
                    threads=settings.SANDBOX_JOB_THREADS,
                )
                bare.append(time.perf_counter() - t0)
            ends = []
            status = ""
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                job = services.job_submit(
                    actor=researcher, project=project, dataset_id=dataset.pk, sql=sql, run_now=True
                )
                ends.append(time.perf_counter() - t0)
                status = f"{job.status}: {job.checks.get('shown')}/{job.checks.get('cells')} cells shown"
            results.append(
                (
                    f"job: {label}",
                    f"{args.rows:,} rows",
                    f"{statistics.median(ends):.2f} s",
                    f"{p95(ends):.2f} s",
                    f"bare run_sql {statistics.median(bare):.2f} s; {status}",
                    "≤ 5 s",
                )
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    table = Table(
        title=f"Zhengtong data sandbox ({connection.vendor}, {os.cpu_count()} cores, load {load[0]:.1f}/{load[1]:.1f}, "
        f"{args.repeat} runs each, peak RSS {peak_mb():.0f} MB)"
    )
    for col in ("measure", "size", "median", "p95", "notes", "target"):
        table.add_column(col)
    for row in results:
        table.add_row(*row)
    Console(width=190).print(table)


if __name__ == "__main__":
    main()
