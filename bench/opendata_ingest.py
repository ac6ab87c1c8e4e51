"""Open-data ingest benchmark: a deterministic N-row enterprise registry CSV (14 columns, with
legal representatives' names, resident ID numbers and phones) loaded end to end through the
catalogue's load path (catalog.services.load_start): read, schema inference and validation
(casting every cell), classification, desensitization into the public variant, Parquet versions
written, the version published in one transaction.

    python bench/opendata_ingest.py [--rows 1000000] [--csv path]

Prints the time of each step, the total, and the peak memory (RSS) of the process. Targets:
<= 10 s and <= 1.5 GB for 1,000,000 rows. ``ingest(rows, csv_path)`` is importable (the open-data
benchmark can put the row in its own table).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_MB = 1536


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_csv(rows: int, path: str) -> str:
    """The enterprise registry of bench/datastore.py (shared with the Datasette comparison)."""
    from datastore import generate_enterprises  # bench/datastore.py

    return generate_enterprises(rows, path)


def _world():
    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit
    from zhengtong.accounts.services import system_actor

    tree = {
        "code": "330000",
        "name": "浙江省",
        "level": "province",
        "children": [
            {
                "code": "330100",
                "name": "杭州市",
                "level": "city",
                "children": [{"code": "330106", "name": "西湖区", "level": "county"}],
            }
        ],
    }
    acc.org_units_load_tree(actor=None, tree=tree)
    system = system_actor()
    city = OrgUnit.objects.get(code="330100")
    dept = acc.department_create(actor=system, org_unit=city, code="scjg", name="杭州市市场监督管理局")
    publisher = acc.user_create(
        actor=system, username="bench_publisher", password=None, kind="staff", org_unit=city, department=dept
    )
    acc.role_grant(actor=system, user=publisher, role="data_publisher", org_unit=city, department=dept)
    return dept, publisher


def ingest(rows: int, csv_path: str) -> dict:
    """Load ``csv_path`` (``rows`` rows) into a new resource; returns timings and memory."""
    from zhengtong.catalog import services

    dept, publisher = _world()
    res = services.resource_create(
        actor=publisher, department=dept, name="bench-enterprises", title="杭州市企业登记信息（基准）"
    )
    steps: list[tuple[str, float, float]] = []
    started = time.perf_counter()
    cpu_started = time.process_time()  # every thread of the process: the machine may be shared

    def progress(percent: int, step: str) -> None:
        steps.append((step, time.perf_counter() - started, time.process_time() - cpu_started))

    job = services.load_start(
        actor=publisher, resource=res, uploaded_file=csv_path, mode="replace", run_now=True, progress=progress
    )
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if job.state != "succeeded":
        raise SystemExit(f"ingest failed: {job.message} {job.errors[:5]}")
    res.refresh_from_db()
    fields = {f["name"]: f for f in res.current_version.fields}
    return {
        "rows": job.row_count,
        "seconds": total,
        "cpu_seconds": cpu,
        "peak_mb": peak_mb(),
        "steps": steps,
        "policies": {n: f["policy"]["op"] for n, f in fields.items() if f["policy"]["op"] != "keep"},
        "bytes": os.path.getsize(csv_path),
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "1000000")))
    parser.add_argument("--csv", default="", help="use this CSV instead of generating one")
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    with tempfile.TemporaryDirectory(prefix="zt-ingest-") as tmp:
        from django.conf import settings

        settings.CATALOG_UPLOAD_DIR = str(Path(tmp) / "uploads")
        settings.DATASTORE_DIR = str(Path(tmp) / "datastore")
        from zhengtong.datastore import storage

        storage.set_storage(None)
        csv_path = args.csv
        if not csv_path:
            # Generated once per size and kept (the generator takes minutes for a million rows).
            cache_dir = Path(settings.VAR_DIR) / "bench"
            cache_dir.mkdir(parents=True, exist_ok=True)
            csv_path = str(cache_dir / f"enterprises-{args.rows}.csv")
            if not os.path.exists(csv_path):
                make_csv(args.rows, csv_path)
        # A worker process has these loaded already: keep their import time out of the measure.
        import zhengtong.datastore.engine  # noqa: F401
        import zhengtong.privacy.classify  # noqa: F401
        import zhengtong.privacy.desensitize  # noqa: F401

        before = peak_mb()
        try:
            result = ingest(args.rows, csv_path)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    table = Table(title=f"Open-data ingest ({connection.vendor}, {os.cpu_count()} cores)")
    for col in ("measure", "size", "ours", "CPU", "target"):
        table.add_column(col)
    size = f"{result['rows']:,} rows × 14 cols, {result['bytes'] / 1e6:.0f} MB CSV"
    table.add_row(
        "ingest: validate + classify + desensitize + publish",
        size,
        f"{result['seconds']:.2f} s",
        f"{result['cpu_seconds']:.2f} s",
        "≤ 10 s",
    )
    table.add_row("peak memory (RSS, whole process)", size, f"{result['peak_mb']:.0f} MB", "", "≤ 1536 MB")
    marks = [("store upload, start job", 0.0, 0.0), *result["steps"]]
    for (step, at, cpu_at), (_next, end, cpu_end) in zip(marks, marks[1:], strict=False):
        table.add_row(f"  {step}", "", f"{end - at:.2f} s", f"{cpu_end - cpu_at:.2f} s", "")
    Console(width=140).print(table)
    print(f"RSS before ingest (generator, Django): {before:.0f} MB")
    print("desensitized fields:", ", ".join(f"{k}={v}" for k, v in result["policies"].items()))


if __name__ == "__main__":
    main()
