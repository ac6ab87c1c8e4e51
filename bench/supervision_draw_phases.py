"""Where ``plan_draw``'s time goes, phase by phase, on the database ``bench/supervision.py
--prepare`` built (1,000,000 entities, two departments of 100 officers):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h14 .venv/bin/python bench/supervision_draw_phases.py --draws 5

Each run commits a fresh joint plan (1 ‰ of each of five strata, two inspectors per department,
untimed) and times its draw; the phases are timed by wrapping the functions ``plan_draw`` calls
(wall and CPU of this process, in ms; the CPU of the forked children is given for the whole
draw only, as they are collected when they leave, not when their phase ends): targets
(population file re-hashed, HMACs, n smallest per stratum), entities (ids and region codes of the
targets), pool (frozen officer pool read and hash-checked), exclusions (conflict rules),
inspectors (HMACs per target and officer), store (inspections and links written) and the rest
(permission, workflow transition, commit with its deferred foreign-key checks). Medians over
``--draws`` runs, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--draws", type=int, default=5, help="plans committed and drawn (5)")
    args = p.parse_args()
    import supervision_record  # noqa: PLC0415

    supervision_record.setup()
    from zhengtong.accounts.models import Department, User  # noqa: PLC0415 - Django is set up first
    from zhengtong.registry import selectors as registry_selectors  # noqa: PLC0415
    from zhengtong.supervision import draw, services  # noqa: PLC0415
    from zhengtong.supervision.models import SupervisionItem  # noqa: PLC0415
    from zhengtong.supervision.services import plans  # noqa: PLC0415

    phases: dict[str, list[tuple[float, float, float]]] = {}
    current: dict[str, tuple[float, float, float]] = {}

    def timed(module, name: str, label: str) -> None:
        real = getattr(module, name)

        def wrapper(*a, **kw):
            t, c, ch = time.perf_counter(), time.process_time(), _children()
            try:
                return real(*a, **kw)
            finally:
                current[label] = (time.perf_counter() - t, time.process_time() - c, _children() - ch)

        setattr(module, name, wrapper)

    timed(plans, "_drawn_targets", "targets")
    timed(registry_selectors, "legal_entity_ids_and_regions", "entities")
    timed(plans, "_frozen_pool", "pool")
    timed(plans, "_exclusions", "exclusions")
    timed(draw, "draw_inspectors_many", "inspectors")
    timed(plans, "_store_drawn", "store")

    manager = User.objects.get(username="bench_sv")
    depts = list(
        Department.objects.filter(org_unit__code="330106", code__in=["scjg", "wjw"]).order_by("code")
    )
    items = list(SupervisionItem.objects.filter(code__startswith="BENCH-"))
    load0 = os.getloadavg()[0]
    for run in range(args.draws):
        plan = services.plan_create(
            actor=manager, department=depts[0], joint_departments=depts[1:], title=f"phases {run}",
            items=items, filters={}, permille={"A": 1, "B": 1, "C": 1, "D": 1, "U": 1},
            inspectors_per_department=2,
        )  # fmt: skip
        services.plan_commit(actor=manager, plan=plan)
        current.clear()
        t, c, ch = time.perf_counter(), time.process_time(), _children()
        services.plan_draw(actor=manager, plan=plan)
        total = (time.perf_counter() - t, time.process_time() - c, _children() - ch)
        rest = tuple(total[i] - sum(v[i] for v in current.values()) for i in range(3))
        for label, value in [*current.items(), ("rest", rest), ("plan_draw", total)]:
            phases.setdefault(label, []).append(value)
    print(f"plan_draw phases, median of {args.draws} draws (ms: wall / CPU of this process)")
    for label, values in phases.items():
        wall, cpu, forks = (statistics.median(v[i] for v in values) * 1000 for i in range(3))
        forked = f"   + {forks:.0f} CPU of the forks collected by then" if label == "plan_draw" else ""
        print(f"  {label:11s} {wall:7.0f} {cpu:7.0f}{forked}")
    print(f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")


def _children() -> float:
    t = os.times()
    return t.children_user + t.children_system


if __name__ == "__main__":
    main()
