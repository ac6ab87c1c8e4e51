"""Indices per county (一指数): resumption rate and power index, published as open data."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from zhengtong.audit import services as audit
from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.codes.models import (
    IndexValue,
    PowerUse,
)


def index_compute(day: dt.date, *, actor=None, publish: bool = True) -> int:
    """Per county: resumption rate (% of enterprises whose use > N% of baseline) and power index;
    ``publish``: then refresh the catalogue dataset (after commit)."""
    share = settings.CODES_RESUMPTION_PERCENT / 100.0
    rows = PowerUse.objects.filter(day=day, subject__baseline_daily_kwh__gt=0).values_list(
        "subject__county_code", "kwh", "subject__baseline_daily_kwh"
    )
    agg: dict[str, list[float]] = {}
    for county, kwh, baseline in rows:
        a = agg.setdefault(county, [0, 0, 0.0, 0.0])
        a[0] += 1
        a[1] += 1 if kwh > share * baseline else 0
        a[2] += kwh
        a[3] += baseline
    with transaction.atomic():
        for county, (n, resumed, use, base) in agg.items():
            IndexValue.objects.update_or_create(
                county_code=county,
                day=day,
                kind=IndexValue.Kind.RESUMPTION_RATE,
                defaults={"value": round(100.0 * resumed / n, 2), "numerator": resumed, "denominator": n},
            )
            IndexValue.objects.update_or_create(
                county_code=county,
                day=day,
                kind=IndexValue.Kind.POWER_INDEX,
                defaults={"value": round(100.0 * use / base, 2), "numerator": use, "denominator": base},
            )
        audit.record(
            actor=actor,
            via="" if actor is not None else "codes",  # the daily task: the system, via codes
            action="codes.index_compute",
            target_type="codes.indexvalue",
            target_id=day.isoformat(),
            target_label=day.isoformat(),
            after={"counties": len(agg)},
        )
    if agg and publish:
        transaction.on_commit(index_publish)
    return len(agg)


INDEX_RESOURCE = "county-daily-indices"
INDEX_FIELDS = ["day", "county_code", "kind", "value", "numerator", "denominator"]


def index_publish() -> str:
    """Publish the indices as the catalogue dataset ``county-daily-indices`` (一指数 as open data),
    refreshed with each computation. Returns what happened; never raises."""
    if not IndexValue.objects.exists():
        return "nothing to publish"
    return platform_dataset_publish(
        via="codes",
        name=INDEX_RESOURCE,
        fields=INDEX_FIELDS,
        rows=IndexValue.objects.order_by("day", "county_code", "kind").values_list(*INDEX_FIELDS).iterator(),
        title="区县每日复工复产指数(复工率、电力指数)",
        title_en="Daily county indices: enterprise resumption rate and power-use index",
        description="各区县每日企业复工率(当日用电量超过基线日均用电量一定比例的企业占比)和电力指数(当日用电量占基线的百分比),含分子与分母。每日更新。仅含汇总数,不含企业或个人信息。",
        domain="economy",
        keywords=["复工率", "电力指数", "一指数", "resumption", "power index"],
    )
