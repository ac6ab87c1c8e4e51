"""The cockpit's REST API: the indicator registry and the open-data index (public, the figures
the public can check), a unit's cockpit and drill-through (``cockpit.view`` at that unit),
evaluations, and the signed push of live feeds."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from zhengtong.cockpit import selectors
from zhengtong.cockpit.models import Evaluation
from zhengtong.cockpit.services import dashboard, evaluation, feeds
from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound
from zhengtong.core.indicators import indicators
from zhengtong.core.middleware import client_ip
from zhengtong.core.schemas import ERRORS

router = Router(tags=["cockpit"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions
# them). The feed push is authenticated by its HMAC signature, not by a session or token.
PUBLIC_OPERATIONS: set[str] = {"cockpit_indicators", "cockpit_open_data_index", "cockpit_feed_push"}

FAILED_PUSHES_PER_MINUTE = 30


class IndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    domain: str
    definition: str
    formula: str
    unit: str
    kind: str
    direction: str
    dimensions: list[str]
    thresholds: list[float] | None
    owner: str
    frequency: str
    methodology: str
    default_weight: float


@router.get(
    "/indicators", auth=None, response={200: list[IndicatorOut], **ERRORS}, operation_id="cockpit_indicators"
)
def indicator_list(request):
    """Every registered indicator with its definition, formula and published methodology."""
    weights = evaluation.default_weights()
    return [
        {
            "code": i.code,
            "name": i.name,
            "name_en": i.name_en,
            "domain": i.domain,
            "definition": str(i.definition),
            "formula": i.formula,
            "unit": i.unit,
            "kind": i.kind,
            "direction": i.direction,
            "dimensions": list(i.dimensions),
            "thresholds": list(i.thresholds) if i.thresholds else None,
            "owner": i.owner,
            "frequency": i.frequency,
            "methodology": str(i.methodology),
            "default_weight": weights.get(i.code, 0.0),
        }
        for i in indicators()
    ]


class FigureOut(Schema):
    code: str
    name: str
    unit: str
    value: float | None
    previous: float | None
    change: float | None
    band: str


class RegionOut(Schema):
    code: str
    name: str
    value: float | None
    band: str


class RankOut(Schema):
    key: str
    name: str
    value: float | None
    band: str


class TrendOut(Schema):
    day: dt.date
    value: float | None


class AlertOut(Schema):
    id: int
    code: str
    region: str
    region_name: str
    day: dt.date
    band: str
    value: float
    threshold: float


class LiveOut(Schema):
    feed: str
    key: str
    start: dt.datetime
    mean: float | None
    maximum: float | None
    count: int
    unit: str


class CockpitOut(Schema):
    region: str
    region_name: str
    level: str
    day_from: dt.date
    day_to: dt.date
    indicator: str
    figures: list[FigureOut]
    trend: list[TrendOut]
    regions: list[RegionOut]
    counties: list[RegionOut]
    departments: list[RankOut]
    hot_spots: list[RankOut]
    alerts: list[AlertOut]
    live: list[LiveOut]


def _cockpit_out(data: dict) -> dict:
    unit, period = data["unit"], data["period"]
    return {
        "region": unit.code,
        "region_name": unit.name,
        "level": unit.level,
        "day_from": period.day_from,
        "day_to": period.day_to,
        "indicator": data["indicator"].code,
        "figures": [
            {
                "code": f["code"],
                "name": f["indicator"].name,
                "unit": f["indicator"].unit,
                "value": f["value"],
                "previous": f["previous"],
                "change": f["change"],
                "band": f["band"],
            }
            for f in data["figures"]
        ],
        "trend": data["trend"],
        "regions": [{k: r[k] for k in ("code", "name", "value", "band")} for r in data["regions"]],
        "counties": [{k: r[k] for k in ("code", "name", "value", "band")} for r in data["counties"]],
        "departments": data["departments"],
        "hot_spots": data["hot_spots"],
        "alerts": [
            {
                "id": a.pk,
                "code": a.code,
                "region": a.org_unit.code,
                "region_name": a.org_unit.name,
                "day": a.day,
                "band": a.band,
                "value": a.value,
                "threshold": a.threshold,
            }
            for a in data["alerts"]
        ],
        "live": [
            {
                "feed": w.feed.code,
                "key": w.key,
                "start": w.start,
                "mean": w.mean,
                "maximum": w.maximum,
                "count": w.count,
                "unit": w.feed.unit,
            }
            for w in data["live"]
        ],
    }


@router.get("/units/{code}", response={200: CockpitOut, **ERRORS}, operation_id="cockpit_unit")
def unit_cockpit(request, code: str, indicator: str = "", days: int = 30, end: dt.date | None = None):
    """The cockpit of a region (``cockpit.view`` there): every figure against the previous period,
    one indicator's trend, regions below, departments and hot spots, alerts and live tiles."""
    unit = dashboard.unit_for(request.auth, code)
    period = dashboard.period_of(days=days, end=end)
    return _cockpit_out(
        dashboard.cockpit(actor=request.auth, unit=unit, period=period, map_indicator=indicator or None)
    )


class RecordOut(Schema):
    ref: str
    at: dt.datetime | dt.date | None
    state: str  # the code; state_label is its name in the request's language
    state_label: str
    label: str
    region_path: str


@router.get(
    "/units/{code}/records", response={200: list[RecordOut], **ERRORS}, operation_id="cockpit_records"
)
def unit_records(request, code: str, indicator: str, days: int = 30, end: dt.date | None = None):
    """The records under one figure (drill-through), at most 100, newest first; no personal data."""
    unit = dashboard.unit_for(request.auth, code)
    period = dashboard.period_of(days=days, end=end)
    data = dashboard.drill_through(actor=request.auth, unit=unit, code=indicator, period=period)
    return [
        {
            "ref": r["ref"],
            "at": r["at"],
            "state": r.get("state_code", r["state"]),
            "state_label": r["state"],
            "label": r["label"],
            "region_path": r["path"],
        }
        for r in data["records"]
    ]


class LayerOut(Schema):
    name: str
    name_en: str
    weight: float
    score: float


class IndexOut(Schema):
    region: str
    region_name: str
    level: str
    period_end: dt.date
    total: float
    layers: dict[str, LayerOut]


@router.get(
    "/open-data-index",
    auth=None,
    response={200: list[IndexOut], **ERRORS},
    operation_id="cockpit_open_data_index",
)
def open_data_index(request):
    """The latest open-data index of every city and county, best first."""
    return [
        {
            "region": r.org_unit.code,
            "region_name": r.org_unit.name,
            "level": r.org_unit.level,
            "period_end": r.period_end,
            "total": r.total,
            "layers": {
                k: {x: v[x] for x in ("name", "name_en", "weight", "score")} for k, v in r.layers.items()
            },
        }
        for r in selectors.open_data_index()
    ]


class ScoreOut(Schema):
    region: str
    region_name: str
    score: float
    rank: int
    previous_rank: int | None
    components: dict


class EvaluationOut(Schema):
    id: int
    region: str
    day_from: dt.date
    day_to: dt.date
    weights: dict[str, float]
    scores: list[ScoreOut]


def _evaluation_out(ev: Evaluation) -> dict:
    detail = selectors.evaluation_detail(ev)
    return {
        "id": ev.pk,
        "region": ev.org_unit.code,
        "day_from": ev.period_start,
        "day_to": ev.period_end,
        "weights": ev.weights,
        "scores": [
            {
                "region": s.org_unit.code,
                "region_name": s.org_unit.name,
                "score": s.score,
                "rank": s.rank,
                "previous_rank": s.previous_rank,
                "components": s.components,
            }
            for s in detail["scores"]
        ],
    }


class EvaluationIn(Schema):
    days: int = 30
    end: dt.date | None = None
    weights: dict[str, float] | None = None


@router.post(
    "/units/{code}/evaluations",
    response={200: EvaluationOut, **ERRORS},
    operation_id="cockpit_evaluation_run",
)
def evaluation_run(request, code: str, payload: EvaluationIn):
    """Evaluate the regions directly below ``code`` over the period (``cockpit.evaluate`` there),
    with the published default weights or the weights given (each 0–1, normalised)."""
    unit = dashboard.unit_for(request.auth, code)
    period = dashboard.period_of(days=payload.days, end=payload.end)
    ev = evaluation.evaluation_run(actor=request.auth, unit=unit, period=period, weights=payload.weights)
    return _evaluation_out(ev)


class RectificationOut(Schema):
    region: str
    indicator: str
    score: float
    work_order: str


@router.post(
    "/evaluations/{evaluation_id}/rectifications",
    response={200: list[RectificationOut], **ERRORS},
    operation_id="cockpit_rectifications_open",
)
def rectifications_open(request, evaluation_id: int):
    """Open a rectification work order for each region's worst component below 60 (idempotent)."""
    ev = Evaluation.objects.select_related("org_unit").filter(pk=evaluation_id).first()
    if ev is None:
        raise NotFound("no such evaluation")
    dashboard.unit_for(request.auth, ev.org_unit.code)
    created = evaluation.rectifications_open(actor=request.auth, evaluation=ev)
    return [
        {"region": r.org_unit.code, "indicator": r.code, "score": r.score, "work_order": r.work_order_number}
        for r in created
    ]


@router.get(
    "/evaluations/{evaluation_id}", response={200: EvaluationOut, **ERRORS}, operation_id="cockpit_evaluation"
)
def evaluation_get(request, evaluation_id: int):
    """An evaluation with its published weights and every unit's components (``cockpit.view`` at
    the evaluated unit)."""
    ev = Evaluation.objects.select_related("org_unit").filter(pk=evaluation_id).first()
    if ev is None:
        raise NotFound("no such evaluation")
    dashboard.unit_for(request.auth, ev.org_unit.code)
    return _evaluation_out(ev)


class PushOut(Schema):
    accepted: int
    windows: int
    events: list[str]


@router.post(
    "/feeds/{code}/messages", auth=None, response={200: PushOut, **ERRORS}, operation_id="cockpit_feed_push"
)
def feed_push(request, code: str):
    """Push messages to a live feed: a JSON object or ``{"messages": [...]}``, signed in the header
    ``X-Zhengtong-Signature: sha256=<hex HMAC>`` (docs/cockpit.md). Failures are rate-limited per
    client address."""
    address = client_ip(request) or "unknown"
    ratelimit.check("cockpit.feed_failures", address, limit=FAILED_PUSHES_PER_MINUTE)
    try:
        feed = feeds.feed_get(code)
        return feeds.feed_ingest(
            feed=feed, body=request.body, signature=request.headers.get("X-Zhengtong-Signature", "")
        )
    except Exception:
        ratelimit.hit("cockpit.feed_failures", address, limit=FAILED_PUSHES_PER_MINUTE + 1)
        raise
