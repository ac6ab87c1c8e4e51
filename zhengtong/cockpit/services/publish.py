"""The figures a leader sees, published for the public to check: monthly values of every indicator
for every city and county over the last twelve months, as the platform dataset
``cockpit-indicators`` (catalog.services.platform_dataset_publish; a data officer reviews its first
publication and grades it)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.cockpit.models import IndicatorValue
from zhengtong.core.indicators import indicator

DATASET = "cockpit-indicators"
MONTHS = 12


def _days_in(month, today: dt.date) -> int:
    """Days of the month (a date or datetime) up to today."""
    first = dt.date(month.year, month.month, 1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return (min(following, today + dt.timedelta(days=1)) - first).days


def indicator_rows(*, today: dt.date | None = None) -> list[tuple]:
    """(month, region code, indicator code, name, unit, value) for cities and counties (depth 1–2)."""
    today = today or timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    rows = (
        IndicatorValue.objects.filter(dim="", depth__in=(1, 2), day__gte=first, day__lte=today)
        .annotate(month=TruncMonth("day"))
        .values("month", "path", "code")
        .annotate(n=Sum("num"), d=Sum("den"))
        .order_by("month", "path", "code")
    )
    out = []
    for r in rows:
        ind = indicator(r["code"])
        if ind is None:
            continue
        month = r["month"]
        value = ind.value(r["n"] or 0, r["d"] or 0, _days_in(month, today))
        if value is not None:
            label = month.strftime("%Y-%m") if hasattr(month, "strftime") else str(month)[:7]
            out.append((label, r["path"].rstrip("/").split("/")[-1], ind.code, ind.name, ind.unit, value))
    return out


def indicators_publish() -> str:
    return platform_dataset_publish(
        name=DATASET,
        fields=["month", "region_code", "indicator", "indicator_name", "unit", "value"],
        rows=indicator_rows(),
        title="数字政府运行指标（月度）",
        title_en="Digital-government indicators (monthly)",
        description="各市、县（市、区）数字驾驶舱指标的月度数值，与驾驶舱所示一致；指标定义见驾驶舱方法说明页。",
        domain="government_services",
        keywords=["驾驶舱", "指标", "数字政府"],
        update_frequency="monthly",
        via="cockpit",
    )
