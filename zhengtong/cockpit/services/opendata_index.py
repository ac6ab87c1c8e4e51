"""The platform's own open-data index per city and per county, in the four layers of Fudan's
开放数林 (准备度, 平台层, 数据层, 利用层), from the materialized open-data indicators over the last
year. Fudan's weights are not public: ours are in LAYER_WEIGHTS and on the methodology page.
Each second-level indicator is scored 0–100 among peers of the same level (best 100, worst 0);
a layer is the mean of its indicators; the index is the weighted sum of the layers."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.cockpit.models import IndicatorValue, OpenDataIndex
from zhengtong.cockpit.services.evaluation import component_scores
from zhengtong.core.indicators import indicator

logger = logging.getLogger(__name__)

# layer -> (Chinese name, English name, weight, [second-level indicator codes])
LAYERS: dict[str, tuple[str, str, float, list[str]]] = {
    "readiness": ("准备度", "Readiness", 0.15, ["opendata.department_coverage"]),
    "platform": (
        "平台层",
        "Platform",
        0.15,
        ["opendata.machine_readable_share", "opendata.decision_days"],
    ),
    "data": (
        "数据层",
        "Data",
        0.40,
        [
            "opendata.datasets_opened",
            "opendata.metadata_complete_share",
            "opendata.unconditional_share",
        ],
    ),
    "use": (
        "利用层",
        "Use",
        0.30,
        # reuses: the use side's outcomes (开放应用), counted by datause's indicator
        ["opendata.downloads", "opendata.api_calls", "opendata.applications", "datause.reuses_published"],
    ),
}
LAYER_WEIGHTS = {k: v[2] for k, v in LAYERS.items()}
WINDOW_DAYS = 365
LEVELS = ("city", "county")
DATASET = "cockpit-open-data-index"


def _store_values(codes: list[str], paths: list[str], day_from: dt.date, day_to: dt.date) -> dict:
    rows = (
        IndicatorValue.objects.filter(
            code__in=codes, path__in=paths, dim="", day__gte=day_from, day__lte=day_to
        )
        .values("code", "path")
        .annotate(n=Sum("num"), d=Sum("den"))
        .order_by()
    )
    out: dict[tuple[str, str], float | None] = {}
    for r in rows:
        ind = indicator(r["code"])
        out[(r["code"], r["path"])] = ind.value(r["n"] or 0, r["d"] or 0) if ind else None
    return out


def _coverage(paths: list[str], day_from: dt.date, day_to: dt.date) -> dict[str, float | None]:
    """Share of a unit's active departments (its subtree) that opened at least one dataset."""
    opened = dict(
        IndicatorValue.objects.filter(
            code="opendata.datasets_opened",
            path__in=paths,
            dim__startswith="department:",
            day__gte=day_from,
            day__lte=day_to,
            num__gt=0,
        )
        .values("path")
        .annotate(k=Count("dim", distinct=True))
        .values_list("path", "k")
    )
    departments = [d.org_unit.path for d in account_selectors.departments_active().select_related("org_unit")]
    out = {}
    for p in paths:
        total = sum(1 for dp in departments if dp.startswith(p))
        out[p] = round(100.0 * opened.get(p, 0) / total, 2) if total else None
    return out


@transaction.atomic
def open_data_index_compute(*, day_to: dt.date | None = None) -> list[OpenDataIndex]:
    """Compute the index of every city and county for the year ending ``day_to`` (default
    today), replacing that day's index. Scheduled work: no actor."""
    day_to = day_to or timezone.localdate()
    day_from = day_to - dt.timedelta(days=WINDOW_DAYS - 1)
    units = list(account_selectors.org_units_at_levels(list(LEVELS), active_only=True))
    paths = [u.path for u in units]
    codes = [c for _l, (_z, _e, _w, cs) in LAYERS.items() for c in cs if c != "opendata.department_coverage"]
    values = _store_values(codes, paths, day_from, day_to)
    coverage = _coverage(paths, day_from, day_to)
    raw: dict[int, dict[str, float | None]] = {}
    for u in units:
        raw[u.pk] = {c: values.get((c, u.path)) for c in codes}
        raw[u.pk]["opendata.department_coverage"] = coverage.get(u.path)
        for c in (
            "opendata.datasets_opened",
            "opendata.downloads",
            "opendata.api_calls",
            "opendata.applications",
            "datause.reuses_published",
        ):
            if raw[u.pk][c] is None:
                raw[u.pk][c] = 0.0
    scored: dict[int, dict[str, float | None]] = {u.pk: {} for u in units}
    for level in LEVELS:
        peers = [u for u in units if u.level == level]
        for code in list(codes) + ["opendata.department_coverage"]:
            ind = indicator(code)
            direction = ind.direction if ind else "up"
            for pk, s in component_scores({u.pk: raw[u.pk][code] for u in peers}, direction).items():
                scored[pk][code] = s
    OpenDataIndex.objects.filter(period_end=day_to).delete()
    out = []
    for u in units:
        layers = {}
        total = 0.0
        for key, (zh, en, weight, layer_codes) in LAYERS.items():
            present = [scored[u.pk][c] for c in layer_codes if scored[u.pk].get(c) is not None]
            score = round(sum(present) / len(present), 2) if present else 0.0
            layers[key] = {
                "name": zh,
                "name_en": en,
                "weight": weight,
                "score": score,
                "indicators": {c: {"value": raw[u.pk][c], "score": scored[u.pk].get(c)} for c in layer_codes},
            }
            total += weight * score
        out.append(OpenDataIndex(org_unit=u, period_end=day_to, layers=layers, total=round(total, 2)))
    OpenDataIndex.objects.bulk_create(out)
    return out


def open_data_index_publish(rows: list[OpenDataIndex]) -> str:
    """Publish the index as the platform dataset ``cockpit-open-data-index`` (a new version each
    time; a data officer reviews the first publication)."""
    fields = ["period_end", "region_code", "region_name", "level", "total", *LAYERS]
    data = [
        (
            str(r.period_end),
            r.org_unit.code,
            r.org_unit.name,
            r.org_unit.level,
            r.total,
            *(r.layers[k]["score"] for k in LAYERS),
        )
        for r in rows
    ]
    return platform_dataset_publish(
        name=DATASET,
        fields=fields,
        rows=data,
        title="公共数据开放指数",
        title_en="Open-data index",
        description="各市、县（市、区）公共数据开放指数：准备度、平台层、数据层、利用层四层得分与总分（方法见驾驶舱方法说明页）。",
        domain="government_services",
        keywords=["开放数据", "开放指数", "数字政府"],
        update_frequency="monthly",
        via="cockpit",
    )
