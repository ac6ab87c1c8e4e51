"""Period indicators of 好差评 and case handling (GB/T 39735 evaluation indicators), computed from
the cases, their timelines and the ratings, and their publication as a catalogue dataset.

Per department and in total, for the cases completed (办结) in a period:

- 参评率: completed cases with at least one counted rating / completed cases;
- 一次办结率: completed cases never sent back for correction (no ``request_correction`` or
  ``send_back`` on their timeline) / completed cases;
- 按时办结率: completed on or before their (pause-adjusted) deadline / completed cases;

and for the 差评 (score 1–2) given in the period:

- 差评整改率: 差评 whose rectification closed / 差评;
- 回访率: closed rectifications with a recorded call-back / closed rectifications.

Ratings a department contested successfully as malicious (``excluded``) count nowhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.core.workflow import ids_with_transitions
from zhengtong.services.models import Case, Rating

BAD = 2
CORRECTIONS = ("request_correction", "send_back")
DATASET = "service-evaluation-indicators"
FIELDS = [
    "统计期",
    "部门",
    "办结件数",
    "参评件数",
    "参评率",
    "一次办结件数",
    "一次办结率",
    "按时办结件数",
    "按时办结率",
    "评价数",
    "平均分",
    "差评数",
    "差评整改数",
    "差评整改率",
    "回访数",
    "回访率",
    "剔除恶意差评数",
]


def _bounds(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _rate(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def period_indicators(day_from: dt.date, day_to: dt.date) -> dict[str, Any]:
    """The indicators of the period [day_from, day_to] per department and in total (three
    aggregate queries). Rates are percentages with one decimal; None where nothing was counted."""
    if day_to < day_from:
        day_from, day_to = day_to, day_from
    start, end = _bounds(day_from, day_to)
    counted = Rating.objects.filter(case=OuterRef("pk"), excluded=False)
    cases = (
        Case.objects.filter(state="completed", completed_at__gte=start, completed_at__lt=end)
        .annotate(_done=TruncDate("completed_at"))
        .values("department_id", "department__name")
        .annotate(
            done=Count("id"),
            rated=Count("id", filter=Q(Exists(counted))),
            first_time=Count("id", filter=~Q(pk__in=ids_with_transitions(Case, CORRECTIONS))),
            on_time=Count("id", filter=Q(sla_deadline__isnull=True) | Q(sla_deadline__gte=F("_done"))),
        )
        .order_by("department__name")
    )
    ratings = (
        Rating.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("department_id", "department__name")
        .annotate(
            n=Count("id", filter=Q(excluded=False)),
            avg=Avg("score", filter=Q(excluded=False)),
            bad=Count("id", filter=Q(excluded=False, score__lte=BAD)),
            rectified=Count("id", filter=Q(excluded=False, score__lte=BAD, rectified_at__isnull=False)),
            called=Count(
                "id",
                filter=Q(
                    excluded=False,
                    score__lte=BAD,
                    rectified_at__isnull=False,
                    callback_satisfaction__isnull=False,
                ),
            ),
            excluded_n=Count("id", filter=Q(excluded=True)),
        )
        .order_by("department__name")
    )
    rows: dict[int, dict[str, Any]] = {}
    keys = ("done", "rated", "first_time", "on_time", "n", "bad", "rectified", "called", "excluded_n")

    def row_of(dept_id, name):
        return rows.setdefault(
            dept_id,
            {"department_id": dept_id, "department": name, **dict.fromkeys(keys, 0), "score_sum": 0.0},
        )

    for r in cases:
        row = row_of(r["department_id"], r["department__name"])
        for k in ("done", "rated", "first_time", "on_time"):
            row[k] = r[k]
    for r in ratings:
        row = row_of(r["department_id"], r["department__name"])
        for k in ("n", "bad", "rectified", "called", "excluded_n"):
            row[k] = r[k]
        row["score_sum"] = float(r["avg"] or 0) * r["n"]
    total = {"department_id": None, "department": "", **dict.fromkeys(keys, 0), "score_sum": 0.0}
    for row in rows.values():
        for k in (*keys, "score_sum"):
            total[k] += row[k]
    out = [*sorted(rows.values(), key=lambda r: r["department"]), total]
    for row in out:
        row["participation"] = _rate(row["rated"], row["done"])
        row["first_time_rate"] = _rate(row["first_time"], row["done"])
        row["on_time_rate"] = _rate(row["on_time"], row["done"])
        row["average"] = round(row["score_sum"] / row["n"], 2) if row["n"] else None
        row["rectification_rate"] = _rate(row["rectified"], row["bad"])
        row["callback_rate"] = _rate(row["called"], row["rectified"])
        row.pop("score_sum")
    return {"from": day_from, "to": day_to, "departments": out[:-1], "total": out[-1]}


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """ "2026-11" → (2026-11-01, 2026-11-30); ValueError for anything else."""
    year, mon = (int(x) for x in month.split("-"))
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def dataset_rows(months: list[str]) -> list[tuple]:
    out = []
    for month in months:
        data = period_indicators(*month_bounds(month))
        for row in [*data["departments"], {**data["total"], "department": "合计"}]:
            out.append(
                (
                    month,
                    row["department"],
                    row["done"],
                    row["rated"],
                    row["participation"],
                    row["first_time"],
                    row["first_time_rate"],
                    row["on_time"],
                    row["on_time_rate"],
                    row["n"],
                    row["average"],
                    row["bad"],
                    row["rectified"],
                    row["rectification_rate"],
                    row["called"],
                    row["callback_rate"],
                    row["excluded_n"],
                )
            )
    return out


def evaluation_publish(*, months: list[str] | None = None, actor: Any = None) -> str:
    """Publish the monthly indicators (the last twelve months by default) as the catalogue
    dataset ``service-evaluation-indicators`` through catalog's trusted platform entry point
    (a draft the first time, for a data officer to review). Returns what happened."""
    if months is None:
        today = timezone.localdate()
        months = []
        year, mon = today.year, today.month
        for _ in range(12):
            months.append(f"{year:04d}-{mon:02d}")
            year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
        months.reverse()
    return platform_dataset_publish(
        name=DATASET,
        fields=FIELDS,
        rows=dataset_rows(months),
        title="政务服务好差评及办件指标（月度）",
        title_en="Service evaluation and handling indicators (monthly)",
        description=(
            "按部门、按月统计的办结件数、参评率、一次办结率、按时办结率、差评整改率、回访率，"
            "由办件、办件时间线和好差评记录计算；经申诉复核认定的恶意差评不计入。"
        ),
        domain="government_services",
        keywords=["政务服务", "好差评", "办件", "统计", "GB/T 39735"],
        update_frequency="monthly",
        actor=actor,
        via="services",
    )
