"""Payments and work-order benchmarks: callback confirmation, the scoped work-order worklist, the
SLA scan over open work orders.

Runs in a throwaway database on whatever DATABASE_URL points at:

    .venv/bin/python bench/payments.py                         # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zt_payments .venv/bin/python bench/payments.py

Sizes: BENCH_BILLS (default 200 paid bills), BENCH_WORKORDERS (default 100000 work orders).
No peer system is named for these operations; targets are from issue 4 where one applies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
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


def main() -> None:
    import logging

    logging.disable(logging.INFO)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(int(os.environ.get("BENCH_BILLS", "200")), int(os.environ.get("BENCH_WORKORDERS", "100000")))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    table = Table(title=f"payments and work orders ({connection.vendor})")
    for col in ("measure", "size", "median", "p95", "throughput / queries", "target"):
        table.add_column(col)
    for row in ROWS:
        table.add_row(*row)
    Console().print(table)


def run(bills: int, orders: int) -> None:
    from django.conf import settings

    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit
    from zhengtong.accounts.services import system_actor
    from zhengtong.core import sla
    from zhengtong.payments import providers, services
    from zhengtong.payments.models import LocalOrder
    from zhengtong.workorders import selectors
    from zhengtong.workorders.models import WorkOrder

    settings.PAYMENTS_LOCAL_DUPLICATES = False
    settings.NOTIFY_SMS_DIR = str(Path(settings.VAR_DIR) / "bench-sms")
    acc.org_units_load_tree(
        actor=None,
        tree={
            "code": "330000",
            "name": "浙江省",
            "level": "province",
            "children": [
                {
                    "code": "330100",
                    "name": "杭州市",
                    "level": "city",
                    "children": [
                        {
                            "code": c,
                            "name": n,
                            "level": "county",
                            "children": [
                                {"code": f"{c}{t:03d}", "name": f"{n}{t}街道", "level": "township"}
                                for t in range(1, 6)
                            ],
                        }
                        for c, n in [("330106", "西湖区"), ("330108", "滨江区"), ("330110", "余杭区")]
                    ],
                }
            ],
        },
    )
    system = system_actor()
    units = list(OrgUnit.objects.filter(level="township"))
    xihu = OrgUnit.objects.get(code="330106")
    depts = [
        acc.department_create(actor=system, org_unit=u, code=code, name=f"{u.name}{code}")
        for u in OrgUnit.objects.filter(level="county")
        for code in ("scjg", "gaj", "rlsb")
    ]
    citizen = acc.user_create(actor=None, username="payer", password="Bench-pass-2025!", kind="citizen")
    handler = acc.user_create(
        actor=system,
        username="handler",
        password="Bench-pass-2025!",
        kind="staff",
        org_unit=xihu,
        department=depts[0],
    )
    acc.role_grant(actor=system, user=handler, role="counter_staff", org_unit=xihu, department=depts[0])

    # 1. Callback confirmation (verify signature, lock, conditional update, audit, hook, notify).
    payments = []
    for i in range(bills):
        bill = services.bill_create(
            actor=system, payer=citizen, reference=f"bench:{i}", org_unit=xihu, items=[("fee", 1000 + i)]
        )
        payment, _ = services.payment_start(actor=citizen, bill=bill, return_url="/")
        payments.append(payment)
    LocalOrder.objects.update(status="paid")
    bodies = []
    for p in payments:
        LocalOrder.objects.filter(token=p.token).update(txn_id="T" + p.token)
        bodies.append(
            json.dumps(
                {
                    "id": "E" + p.token,
                    "type": "paid",
                    "out_trade_no": p.token,
                    "transaction_id": "T" + p.token,
                    "amount_fen": p.amount_fen,
                }
            ).encode()
        )
    for label in ("callback confirmation (applied)", "duplicate callback (acknowledged)"):
        samples = []
        for body in bodies:
            headers = providers.signed_headers(body)
            start = time.perf_counter()
            status, reply = services.callback_receive("local", headers, body)
            samples.append(time.perf_counter() - start)
            assert status == 200
        med, p95 = stats(samples)
        ROWS.append(
            (
                label,
                f"{bills} bills",
                f"{med * 1000:.1f} ms",
                f"{p95 * 1000:.1f} ms",
                f"{1 / med:,.0f}/s",
                "—",
            )
        )

    # 2. Scoped worklist over many work orders (bulk-inserted; the services are measured above).
    today = dt.date.today()
    batch = []
    kinds = ["consultation", "help", "suggestion", "complaint", "report"]
    for i in range(orders):
        dept = depts[i % len(depts)]
        unit = units[i % len(units)]
        batch.append(
            WorkOrder(
                number=f"GB{i:012d}",
                kind=kinds[i % 5],
                category="0701",
                title=f"工单{i}",
                description="d",
                region=unit,
                org_unit=dept.org_unit,
                department=dept,
                state=["assigned", "in_progress", "closed"][(i // len(depts)) % 3],
                due_working_days=15,
                sla_state="on_time",
                sla_started_on=today - dt.timedelta(days=i % 40),
                sla_deadline=today + dt.timedelta(days=20 - i % 40),
                sla_due_soon_on=today + dt.timedelta(days=17 - i % 40),
            )
        )
        if len(batch) == 5000:
            WorkOrder.objects.bulk_create(batch)
            batch = []
    WorkOrder.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    samples, queries = [], 0
    for i in range(30):
        handler.__dict__.pop("_zt_grants", None)  # a fresh request: grants are read again
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            qs = selectors.worklist(handler, filters={"state": ["assigned", "in_progress"][i % 2]})
            rows = list(qs.order_by("-created_at", "-id")[:50])
            counts = selectors.worklist_counts(handler)
        samples.append(time.perf_counter() - start)
        queries = len(ctx.captured_queries)
        assert rows and counts
    med, p95 = stats(samples)
    ROWS.append(
        (
            "work-order worklist, first page + counts (dept-scoped)",
            f"{orders:,} work orders",
            f"{med * 1000:.1f} ms",
            f"{p95 * 1000:.1f} ms",
            f"{queries} queries",
            "p95 ≤ 100 ms",
        )
    )
    escalation = [0.0]
    reg = sla.CLOCKS.get(WorkOrder._meta.label_lower)
    if reg is not None and reg.on_overdue is not None:

        def timed_hook(ids, _hook=reg.on_overdue):
            t0 = time.perf_counter()
            _hook(ids)
            escalation[0] += time.perf_counter() - t0

        sla.CLOCKS.add(WorkOrder._meta.label_lower, dataclasses.replace(reg, on_overdue=timed_hook))
    start = time.perf_counter()
    report = sla.sla_scan()
    took = time.perf_counter() - start
    ROWS.append(
        (
            "  of which escalation (on_overdue)",
            f"{orders:,} work orders",
            f"{escalation[0]:.2f} s",
            "—",
            "",
            "",
        )
    )
    ROWS.append(
        (
            "SLA scan (all registered models)",
            f"{orders:,} work orders",
            f"{took:.2f} s",
            "—",
            str(report.get("workorders.workorder")),
            "≤ 5 s",
        )
    )


if __name__ == "__main__":
    main()
