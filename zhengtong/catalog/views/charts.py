"""Automatic charts of a dataset's page, built from datastore aggregates and cached per version."""

from __future__ import annotations

import math

from zhengtong.catalog.models import DataResource
from zhengtong.core import cache
from zhengtong.datastore import engine

CHARTS_CACHE = "catalog.charts"


def charts_for(resource: DataResource, version, variant: str, allowed: list[str] | None) -> list[dict]:
    """Automatic charts: top values of categorical columns (facets) and histograms of numeric
    columns (count aggregates per bin); cached per version and variant (core.cache)."""
    key = f"{version.pk}:{variant}:{','.join(allowed or [])}"
    return cache.cached(CHARTS_CACHE, key, lambda: _charts_build(version, variant, allowed), 3600)


def _charts_build(version, variant: str, allowed: list[str] | None) -> list[dict]:
    fields = [f for f in version.fields if allowed is None or f["name"] in allowed]
    charts: list[dict] = []
    categorical = [
        f
        for f in fields
        if f.get("type", "string") in ("string", "boolean")
        and (f.get("policy") or {}).get("op", "keep") == "keep"
        and (f.get("classification") or {}).get("category", "none") in ("none",)
    ]
    numeric = [
        f
        for f in fields
        if f.get("type") in ("integer", "number") and not f["name"].lower().endswith(("id", "_no", "code"))
    ]
    total = version.row_count or 0
    if categorical and total:
        result = engine.query(
            version.table_key,
            version.store_version,
            variant,
            schema=version.schema,
            limit=0,
            count="none",
            facets=[f["name"] for f in categorical[:10]],
            facet_size=10,
        )
        for f in categorical:
            values = result.facets.get(f["name"]) or []
            distinct_top = [(v, n) for v, n in values if v not in (None, "")]
            covered = sum(n for _v, n in distinct_top)
            # A column worth charting repeats its values: the top ten cover a fair share of rows.
            if len(distinct_top) >= 2 and covered >= total * 0.3 and distinct_top[0][1] > 1:
                charts.append(
                    {
                        "field": f["name"],
                        "title": f.get("title") or f["name"],
                        "kind": "top",
                        "rows": [{"name": str(v), "value": n} for v, n in distinct_top],
                    }
                )
            if len([c for c in charts if c["kind"] == "top"]) >= 3:
                break
    for f in numeric[:3]:
        name = f["name"]
        agg = engine.query(
            version.table_key,
            version.store_version,
            variant,
            schema=version.schema,
            limit=0,
            count="none",
            aggregates=[("min", name), ("max", name)],
        ).aggregates
        if not agg:
            continue
        lo, hi = agg[0].get(f"min_{name}"), agg[0].get(f"max_{name}")
        if lo is None or hi is None or lo == hi:
            continue
        lo, hi = float(lo), float(hi)
        bins = 8
        width = (hi - lo) / bins
        rows = []
        for i in range(bins):
            start = lo + i * width
            end = hi if i == bins - 1 else lo + (i + 1) * width
            op = "lte" if i == bins - 1 else "lt"
            value_start = start if f.get("type") == "number" else math.floor(start)
            value_end = end if f.get("type") == "number" else math.ceil(end)
            counted = engine.query(
                version.table_key,
                version.store_version,
                variant,
                schema=version.schema,
                limit=0,
                count="exact",
                filters=[(name, "gte", value_start), (name, op, value_end)],
            ).total
            label = f"{_fmt(start, width)}–{_fmt(end, width)}"
            rows.append({"name": label, "value": int(counted or 0)})
        charts.append({"field": name, "title": f.get("title") or name, "kind": "histogram", "rows": rows})
    for i, chart in enumerate(charts):
        chart["id"] = f"chart-{i}"
        chart["data_id"] = f"chart-{i}-data"
    return charts


def _fmt(value: float, width: float | None = None) -> str:
    """A bin edge with as many decimals as the bin width needs, so neighbouring edges differ
    (longitudes 120.05–120.10, not "120–120")."""
    if width is not None and 0 < width < 1:
        decimals = min(6, max(2, 1 - math.floor(math.log10(width))))
        return f"{value:,.{decimals}f}"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}"
