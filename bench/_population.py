"""Builds a synthetic population for the benchmarks (bulk inserts: the services are measured separately)."""

from __future__ import annotations

import datetime as dt
import random

import _common
from django.db import connection

from zhengtong.accounts import services as acc
from zhengtong.accounts.models import OrgUnit
from zhengtong.accounts.services import system_actor
from zhengtong.audit.models import AuditEvent
from zhengtong.core.identifiers import generate_resident_id
from zhengtong.registry.models import Person


class Population:
    def __init__(self, persons: int):
        self.persons = persons
        counties = [("330106", "西湖区"), ("330108", "滨江区"), ("330110", "余杭区"), ("330109", "萧山区")]
        county_name = dict(counties)

        def villages_of(township: str) -> list[dict]:
            name, t = county_name[township[:6]], int(township[6:])
            return [
                {"code": f"{township}{v:03d}", "name": f"{name}{t}-{v}社区", "level": "village"}
                for v in range(1, 11)
            ]

        tree = _common.province_tree(
            counties, 5, township_name=lambda name, t: f"{name}{t}街道", township_children=villages_of
        )
        acc.org_units_load_tree(actor=None, tree=tree)
        self.system = system_actor()
        county = OrgUnit.objects.get(code="330106")
        self.dept = acc.department_create(
            actor=self.system, org_unit=county, code="gaj", name="西湖区公安分局"
        )
        self.clerk = acc.user_create(
            actor=self.system, username="bench_clerk", password=None, kind="staff", org_unit=county
        )
        acc.role_grant(
            actor=self.system, user=self.clerk, role="registry_clerk", org_unit=county, department=self.dept
        )
        villages = list(OrgUnit.objects.filter(level="village"))
        rng = random.Random(7)
        batch = []
        used = set()
        for i in range(persons):
            village = villages[i % len(villages)]
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
            rid = generate_resident_id(village.code[:6], birth, rng.randrange(1000))
            if rid in used:
                continue
            used.add(rid)
            batch.append(
                Person(
                    resident_id=rid,
                    name=f"居民{i}",
                    sex="M" if int(rid[16]) % 2 else "F",
                    birth_date=birth,
                    org_unit=village,
                    phone="",
                    address="",
                )
            )
            if len(batch) == 5000:
                Person.objects.bulk_create(batch)
                batch = []
        Person.objects.bulk_create(batch)
        # After a bulk load a DBA (or autovacuum, soon after) refreshes the planner's statistics.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.persons = Person.objects.count()
        self.sample_id = (
            Person.objects.filter(org_unit__code__startswith="330106")
            .order_by("-id")
            .values_list("resident_id", flat=True)
            .first()
        )

    def any_person(self) -> Person:
        return Person.objects.filter(org_unit__code__startswith="330106").first()

    def audit_count(self) -> int:
        return AuditEvent.objects.count()

    def csv(self, rows: int) -> bytes:
        rng = random.Random(11)
        lines = ["resident_id,name,phone,region_code"]
        for i in range(rows):
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 60))
            rid = generate_resident_id("330106", birth, rng.randrange(1000))
            lines.append(f"{rid},导入{i},139{rng.randrange(10**8):08d},330106001001")
        # De-duplicate identifiers so the file is valid.
        seen, out = set(), [lines[0]]
        for line in lines[1:]:
            if line.split(",")[0] not in seen:
                seen.add(line.split(",")[0])
                out.append(line)
        return ("\n".join(out) + "\n").encode()


def build_population(persons: int) -> Population:
    return Population(persons)
