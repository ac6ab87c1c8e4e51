"""Read paths of codes (public pages and API)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Sum

from zhengtong.codes.geo import COUNTY_NAMES
from zhengtong.codes.models import (
    RISK_COLOURS,
    RISK_HEX,
    IndexValue,
    Purpose,
    RegionRisk,
    RuleSet,
    VerificationCount,
)
from zhengtong.codes.services.rules import rule_set_current


def purposes_public() -> list[dict]:
    out = []
    for p in Purpose.objects.all():
        current = rule_set_current(p)
        out.append(
            {
                "code": p.code,
                "name": p.name,
                "name_en": p.name_en,
                "description": p.description,
                "subject_kind": p.subject_kind,
                "issuing": p.is_active,
                "sunset_at": p.sunset_at,
                "current_version": current.version if current else None,
            }
        )
    return out


def rule_sets_of(purpose: Purpose) -> list[RuleSet]:
    return list(RuleSet.objects.filter(purpose=purpose).order_by("-version"))


def risk_days() -> list[dt.date]:
    return list(RegionRisk.objects.values_list("day", flat=True).distinct().order_by("day"))


def risk_on(day: dt.date | None) -> tuple[dt.date | None, list[dict]]:
    if day is None:
        day = RegionRisk.objects.aggregate(d=Max("day"))["d"]
    if day is None:
        return None, []
    rows = RegionRisk.objects.filter(day=day).order_by("county_code")
    return day, [
        {
            "county": r.county_code,
            "name": COUNTY_NAMES.get(r.county_code, r.county_code),
            "level": r.level,
            "colour": RISK_COLOURS[r.level],
            "hex": RISK_HEX[r.level],
            "indicators": r.indicators,
        }
        for r in rows
    ]


def index_series(*, kind: str, county: str | None = None, days: int = 30) -> list[dict]:
    """Daily values; without a county, the province-wide value (sum of numerators / denominators)."""
    qs = IndexValue.objects.filter(kind=kind)
    last = qs.aggregate(d=Max("day"))["d"]
    if last is None:
        return []
    qs = qs.filter(day__gt=last - dt.timedelta(days=days))
    if county:
        return [
            {
                "day": v.day,
                "county": county,
                "value": v.value,
                "numerator": v.numerator,
                "denominator": v.denominator,
            }
            for v in qs.filter(county_code=county).order_by("day")
        ]
    out = []
    for row in qs.values("day").annotate(n=Sum("numerator"), d=Sum("denominator")).order_by("day"):
        value = round(100.0 * row["n"] / row["d"], 2) if row["d"] else 0.0
        out.append(
            {"day": row["day"], "county": "", "value": value, "numerator": row["n"], "denominator": row["d"]}
        )
    return out


def index_latest_by_county(kind: str) -> list[dict]:
    last = IndexValue.objects.filter(kind=kind).aggregate(d=Max("day"))["d"]
    if last is None:
        return []
    return [
        {
            "county": v.county_code,
            "name": COUNTY_NAMES.get(v.county_code, v.county_code),
            "value": v.value,
            "numerator": v.numerator,
            "denominator": v.denominator,
            "day": v.day,
        }
        for v in IndexValue.objects.filter(kind=kind, day=last).order_by("county_code")
    ]


def verification_stats(days: int = 14) -> list[dict]:
    since = dt.date.today() - dt.timedelta(days=days)
    return list(
        VerificationCount.objects.filter(day__gte=since)
        .values("day", "purpose", "region_code", "result")
        .annotate(count=Sum("count"))
        .order_by("-day", "purpose", "result")
    )
