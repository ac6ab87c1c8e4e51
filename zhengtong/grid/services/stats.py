"""Incident statistics (month × township × category), served as CSV and published to the catalogue."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.grid.models import CLOSED_STATES, Category, Incident, IncidentStat


def incident_stats_refresh(*, months: int = 13) -> int:
    """Rebuild incident statistics by month, township and category (set-based)."""
    now = timezone.now()
    since = (timezone.localdate().replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    base = Incident.objects.filter(reported_at__gte=start).exclude(state="merged")
    rows = (
        base.annotate(month=TruncMonth("reported_at"))
        .values("month", "township_id", "category_id")
        .annotate(
            reported=Count("id"),
            closed=Count("id", filter=Q(state="closed")),
            open=Count("id", filter=~Q(state__in=CLOSED_STATES)),
            overdue=Count("id", filter=Q(sla_state="overdue") & ~Q(state__in=CLOSED_STATES)),
        )
    )
    durations: dict[tuple, list[float]] = defaultdict(list)
    for month_start, township, category, reported_at, closed_at in (
        base.filter(state="closed", closed_at__isnull=False)
        .annotate(month=TruncMonth("reported_at"))
        .values_list("month", "township_id", "category_id", "reported_at", "closed_at")
        .iterator(chunk_size=5000)
    ):
        durations[(month_start, township, category)].append((closed_at - reported_at).total_seconds() / 3600)
    townships = account_selectors.org_units_at_levels(["township"]).values_list("id", "code", "name")
    units = {pk: code for pk, code, _name in townships}
    unit_names = {pk: name for pk, _code, name in townships}
    cats = {c.pk: c for c in Category.objects.all()}
    objs = []
    for row in rows:
        month = row["month"]
        key = (month, row["township_id"], row["category_id"])
        hours = durations.get(key)
        code = units.get(row["township_id"], "")
        cat = cats[row["category_id"]]
        objs.append(
            IncidentStat(
                month=timezone.localtime(month).strftime("%Y-%m")
                if isinstance(month, dt.datetime)
                else month.strftime("%Y-%m"),
                county_code=code[:6],
                township_code=code,
                township_name=unit_names.get(row["township_id"], ""),
                category_code=cat.code,
                category_name=cat.name,
                reported=row["reported"],
                closed=row["closed"],
                open=row["open"],
                overdue=row["overdue"],
                avg_close_hours=round(sum(hours) / len(hours), 1) if hours else None,
                refreshed_at=now,
            )
        )
    with transaction.atomic():
        IncidentStat.objects.filter(month__gte=since.strftime("%Y-%m")).delete()
        IncidentStat.objects.bulk_create(objs, batch_size=1000)
    _publish_stats()
    return len(objs)


STATS_RESOURCE = "grid-incident-statistics"
STATS_FIELDS = [
    "month",
    "county_code",
    "township_code",
    "township_name",
    "category_code",
    "category_name",
    "reported",
    "closed",
    "open",
    "overdue",
    "avg_close_hours",
]


def stats_csv_bytes() -> bytes:

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(STATS_FIELDS)
    for row in IncidentStat.objects.values_list(*STATS_FIELDS).iterator():
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _publish_stats() -> str:
    """Load the statistics into the catalogue (data resource ``grid-incident-statistics``; see
    ``catalog.services.platform_dataset_publish``). Returns what happened; the statistics are
    always served by /api/v1/grid/stats and /grid/stats.csv as well."""
    if not IncidentStat.objects.exists():
        return "nothing to publish"
    return platform_dataset_publish(
        via="grid",
        name=STATS_RESOURCE,
        fields=STATS_FIELDS,
        rows=IncidentStat.objects.values_list(*STATS_FIELDS).iterator(),
        title="网格事件统计(按区域、类别、月份)",
        title_en="Grid incident statistics by region, category and month",
        description="基层治理四平台事件按乡镇(街道)、事件类别和月份汇总的数量:上报、办结、未结、超期及平均办结时长。每日更新。仅含汇总数,不含个人信息。",
        domain="public_safety",
        keywords=["网格", "事件", "基层治理", "grid", "incidents"],
    )
