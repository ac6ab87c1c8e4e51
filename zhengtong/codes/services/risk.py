"""Risk levels per county (五色图) from the daily indicators."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from zhengtong.audit import services as audit
from zhengtong.codes.geo import COUNTIES
from zhengtong.codes.models import (
    RegionRisk,
    RiskIndicator,
)


def risk_levels_on(day: dt.date) -> dict[str, int]:
    """County → level, on ``day`` or the latest computed day before it."""
    latest = RegionRisk.objects.filter(day__lte=day).aggregate(d=Max("day"))["d"]
    if latest is None:
        return {}
    return dict(RegionRisk.objects.filter(day=latest).values_list("county_code", "level"))


def risk_thresholds() -> dict[str, int]:
    t = [int(x) for x in settings.CODES_RISK_THRESHOLDS]
    return {
        "high_new14": t[0],
        "relatively_high_new14": t[1],
        "medium_local7": t[2],
        "relatively_low_new14": t[3],
    }


def classify_risk(ind: dict, thresholds: dict[str, int]) -> int:
    if ind["new14"] >= thresholds["high_new14"] or ind["clusters14"] >= 2:
        return 5
    if ind["new14"] >= thresholds["relatively_high_new14"] or ind["clusters14"] >= 1:
        return 4
    if ind["local7"] >= thresholds["medium_local7"]:
        return 3
    if ind["new14"] >= thresholds["relatively_low_new14"]:
        return 2
    return 1


def risk_compute(day: dt.date, *, actor=None) -> int:
    """Compute every county's level for ``day`` from the indicators of the 14 days before it."""
    start = day - dt.timedelta(days=13)
    rows = RiskIndicator.objects.filter(day__gte=start, day__lte=day).values_list(
        "county_code", "day", "new_cases", "local_cases", "clusters"
    )
    per: dict[str, list] = {}
    for code, d, new, local, clusters in rows:
        per.setdefault(code, []).append((d, new, local, clusters))
    last_case = dict(
        RiskIndicator.objects.filter(day__lte=day, new_cases__gt=0)
        .values("county_code")
        .annotate(d=Max("day"))
        .values_list("county_code", "d")
    )
    thresholds = risk_thresholds()
    week = day - dt.timedelta(days=6)
    written = 0
    with transaction.atomic():
        for code in sorted({c for c, *_ in COUNTIES} | set(per)):
            items = per.get(code, [])
            new14 = sum(i[1] for i in items)
            local14 = sum(i[2] for i in items)
            ind = {
                "new7": sum(i[1] for i in items if i[0] >= week),
                "new14": new14,
                "local7": sum(i[2] for i in items if i[0] >= week),
                "local_share14": round(local14 / new14, 3) if new14 else 0.0,
                "clusters14": sum(i[3] for i in items),
                "days_without_case": (day - last_case[code]).days if code in last_case else None,
            }
            RegionRisk.objects.update_or_create(
                county_code=code,
                day=day,
                defaults={"level": classify_risk(ind, thresholds), "indicators": ind},
            )
            written += 1
        audit.record(
            actor=actor,
            via="" if actor is not None else "codes",  # the daily task: the system, via codes
            action="codes.risk_compute",
            target_type="codes.regionrisk",
            target_id=day.isoformat(),
            target_label=day.isoformat(),
            after={"counties": written},
        )
    return written
