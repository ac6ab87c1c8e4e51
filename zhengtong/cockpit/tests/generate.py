"""Raw records generated straight into the tables (not through the services: the point is many
rows with chosen timestamps), for the materialization tests and bench/cockpit.py: cases,
ratings, hotline work orders and grid incidents spread over days and units."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from django.utils import timezone

from zhengtong.accounts.models import Department, OrgUnit, User
from zhengtong.grid.models import Category, Incident
from zhengtong.services.models import Case, Rating, ServiceItem, ServiceItemVersion
from zhengtong.workorders.models import WorkOrder


@dataclass
class Scope:
    units: list[OrgUnit]  # leaf units records are attached to (grid or township or county)
    departments: list[Department]
    applicant: User


def items(department: Department) -> list[tuple[ServiceItem, ServiceItemVersion]]:
    out = []
    for i, (online, mobile, visits) in enumerate(((True, True, 0), (True, False, 1), (False, False, 2))):
        existing = ServiceItem.objects.filter(code=f"GEN-{department.pk}-{i}").first()
        if existing is not None:
            out.append((existing, existing.versions.get(number=1)))
            continue
        item = ServiceItem.objects.create(
            code=f"GEN-{department.pk}-{i}",
            name=f"生成事项{i}",
            kind="licensing",
            department=department,
            org_unit=department.org_unit,
            online=online,
            mobile=mobile,
            visits=visits,
            is_published=True,
        )
        version = ServiceItemVersion.objects.create(item=item, number=1, statutory_days=10, promised_days=5)
        out.append((item, version))
    return out


def category() -> Category:
    cat, _ = Category.objects.get_or_create(
        code="GEN01", defaults={"kind": "event", "group": "生成", "name": "生成类事件", "sla_working_days": 3}
    )
    return cat


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 17), tzinfo=timezone.get_current_timezone())


def _county_and_township(unit: OrgUnit) -> tuple[OrgUnit, OrgUnit]:
    chain = {u.level: u for u in OrgUnit.objects.filter(path__in=_prefixes(unit.path))}
    county = chain.get("county") or unit
    return county, chain.get("township") or county


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def generate(scope: Scope, *, days: list[dt.date], per_day: int, seed: int = 7) -> dict[str, int]:
    """``per_day`` cases, work orders and incidents per day and unit (with ratings of some cases),
    their outcomes drawn at random from ``seed``. Returns how many of each were written."""
    rng = random.Random(seed)
    by_dept = {d.pk: items(d) for d in scope.departments}
    cat = category()
    cases, orders, incidents = [], [], []
    chains = {u.pk: _county_and_township(u) for u in scope.units}
    now = timezone.now()
    for day in days:
        for unit in scope.units:
            dept = rng.choice(scope.departments)
            for _n in range(per_day):
                item, version = rng.choice(by_dept[dept.pk])
                submitted = _local(day, rng.randrange(8, 18))
                done = rng.random() < 0.7
                completed = submitted + dt.timedelta(days=rng.randrange(0, 8), hours=1) if done else None
                if completed and completed > now:
                    completed = None
                materials = {"m1": {"by": "licence" if rng.random() < 0.5 else ""}, "m2": {"by": ""}}
                cases.append(
                    Case(
                        number=f"G{secrets.token_hex(7)}",
                        item=item,
                        item_version=version,
                        applicant=scope.applicant,
                        org_unit=dept.org_unit,
                        org_path=unit.path,
                        department=dept,
                        materials=materials,
                        state="completed" if completed else "accepted",
                        submitted_at=submitted,
                        completed_at=completed,
                        sla_deadline=day + dt.timedelta(days=5),
                        escalated_at=submitted if rng.random() < 0.1 else None,
                    )
                )
                created = _local(day, rng.randrange(0, 24))
                closed = (
                    created + dt.timedelta(days=rng.randrange(0, 6), hours=2) if rng.random() < 0.6 else None
                )
                if closed and closed > now:
                    closed = None
                orders.append(
                    WorkOrder(
                        number=f"W{secrets.token_hex(7)}",
                        kind=rng.choice(("complaint", "help", "consultation")),
                        category=rng.choice(("0501", "0401", "0601")),
                        title="生成工单",
                        description="生成",
                        region=unit,
                        org_unit=dept.org_unit,
                        department=dept,
                        due_working_days=5,
                        state="closed" if closed else "assigned",
                        closed_at=closed,
                        replied_at=closed - dt.timedelta(hours=1) if closed else None,
                        satisfaction=rng.randrange(1, 6) if closed else None,
                        sla_deadline=day + dt.timedelta(days=4),
                    )
                )
                orders[-1]._created = created
                county, township = chains[unit.pk]
                reported = _local(day, rng.randrange(0, 24))
                closed_i = (
                    reported + dt.timedelta(hours=rng.randrange(2, 120)) if rng.random() < 0.6 else None
                )
                if closed_i and closed_i > now:
                    closed_i = None
                incidents.append(
                    Incident(
                        category=cat,
                        org_unit=unit,
                        township=township,
                        county=county,
                        lat=30.0,
                        lng=120.0,
                        description="生成事件",
                        source="grid_worker",
                        token=secrets.token_hex(16),
                        reported_at=reported,
                        disposed_at=closed_i - dt.timedelta(hours=1) if closed_i else None,
                        closed_at=closed_i,
                        state="closed" if closed_i else "registered",
                        sla_deadline=day + dt.timedelta(days=3),
                        handling_department=dept,
                    )
                )
    Case.objects.bulk_create(cases, batch_size=2000)
    Incident.objects.bulk_create(incidents, batch_size=2000)
    created_at = {o.number: o._created for o in orders}
    WorkOrder.objects.bulk_create(orders, batch_size=2000)
    # created_at is auto_now_add: set the generated times afterwards.
    for o in WorkOrder.objects.filter(number__in=list(created_at)).only("pk", "number"):
        WorkOrder.objects.filter(pk=o.pk).update(created_at=created_at[o.number])
    ratings = []
    unit_ids = dict(OrgUnit.objects.values_list("path", "pk"))
    for c in Case.objects.filter(number__in=[c.number for c in cases], completed_at__isnull=False):
        if rng.random() < 0.5:
            score = rng.randrange(1, 6)
            ratings.append(
                Rating(
                    case=c,
                    applicant=scope.applicant,
                    item_id=c.item_id,
                    department_id=c.department_id,
                    org_unit_id=unit_ids[c.org_path],
                    score=score,
                    state=rng.choice(("recorded", "rectified", "rectifying")) if score <= 2 else "recorded",
                )
            )
    Rating.objects.bulk_create(ratings, batch_size=2000)
    rating_times = {}
    for r in Rating.objects.filter(case__number__in=[c.number for c in cases]).select_related("case"):
        rating_times[r.pk] = (r.case.completed_at + dt.timedelta(hours=3), r.state)
    for pk, (at, state) in rating_times.items():
        # A rectified bad rating closed its rectification two days later.
        rectified = min(at + dt.timedelta(days=2), now) if state == "rectified" else None
        Rating.objects.filter(pk=pk).update(created_at=min(at, now), rectified_at=rectified)
    return {
        "cases": len(cases),
        "work_orders": len(orders),
        "incidents": len(incidents),
        "ratings": len(ratings),
    }
