"""Performance evaluation (效能评价) of the units one level below a unit, from the materialized
indicators with published weights; component scores, ranks and rank changes; a rectification
list from each unit's worst components, tracked through work orders of kind "rectification"."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.cockpit import selectors
from zhengtong.cockpit.models import Evaluation, EvaluationScore, Rectification
from zhengtong.cockpit.selectors import Period
from zhengtong.core.errors import ValidationError
from zhengtong.core.indicators import indicator, indicators
from zhengtong.workorders import selectors as workorder_selectors
from zhengtong.workorders import services as workorders

RECTIFY_BELOW = 60.0  # a component scoring below this is on the rectification list


def default_weights() -> dict[str, float]:
    """The published default weights: each indicator's declared ``weight``, normalised to 1."""
    raw = {i.code: i.weight for i in indicators() if i.weight > 0}
    total = sum(raw.values()) or 1.0
    return {code: round(w / total, 4) for code, w in raw.items()}


def clean_weights(weights: Any) -> dict[str, float]:
    if weights in (None, {}):
        return default_weights()
    if not isinstance(weights, dict) or len(weights) > 50:
        raise ValidationError.for_field("weights", _("must be an object of indicator code to weight"))
    out: dict[str, float] = {}
    for code, w in weights.items():
        if indicator(str(code)) is None:
            raise ValidationError.for_field(f"weights.{code}", _("no indicator is registered with that code"))
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1:
            raise ValidationError.for_field(f"weights.{code}", _("must be a number between 0 and 1"))
        if w > 0:
            out[str(code)] = float(w)
    total = sum(out.values())
    if total <= 0:
        raise ValidationError.for_field("weights", _("at least one weight must be above 0"))
    return {code: round(w / total, 4) for code, w in out.items()}


def component_scores(values: dict[int, float | None], direction: str) -> dict[int, float | None]:
    """Min–max scores 0–100 across the units (100 = best); None where there is no value."""
    present = [v for v in values.values() if v is not None]
    if not present:
        return {k: None for k in values}
    lo, hi = min(present), max(present)
    out: dict[int, float | None] = {}
    for k, v in values.items():
        if v is None:
            out[k] = None
        elif hi == lo:
            out[k] = 100.0
        else:
            s = (v - lo) / (hi - lo) * 100
            out[k] = round(s if direction == "up" else 100 - s, 2)
    return out


@transaction.atomic
def evaluation_run(*, actor: Any, unit: Any, period: Period, weights: Any = None) -> Evaluation:
    """Score every unit directly below ``unit`` over ``period``: each weighted indicator's value
    becomes a 0–100 component score (best unit 100, worst 0), the total is the weighted mean of
    the components the unit has data for; ranks are compared with the previous evaluation."""
    ensure_can(actor, "cockpit.evaluate", unit)
    weights = clean_weights(weights)
    previous = Evaluation.objects.filter(org_unit=unit).order_by("-period_end", "-id").first()
    previous_ranks = dict(previous.scores.values_list("org_unit_id", "rank")) if previous else {}
    units: dict[int, Any] = {}
    components: dict[int, dict[str, dict]] = {}
    for code, weight in weights.items():
        ind = indicator(code)
        rows = selectors.children(unit, code, period)
        for r in rows:
            units[r["unit"].pk] = r["unit"]
        values = {r["unit"].pk: r["value"] for r in rows}
        for pk, score in component_scores(values, ind.direction).items():
            components.setdefault(pk, {})[code] = {"value": values[pk], "score": score, "weight": weight}
    totals = {}
    for pk, comps in components.items():
        scored = [(c["score"], c["weight"]) for c in comps.values() if c["score"] is not None]
        wsum = sum(w for _s, w in scored)
        totals[pk] = round(sum(s * w for s, w in scored) / wsum, 2) if wsum else 0.0
    evaluation = Evaluation.objects.create(
        org_unit=unit,
        period_start=period.day_from,
        period_end=period.day_to,
        weights=weights,
        created_by=actor,
    )
    ranked = sorted(totals, key=lambda pk: (-totals[pk], units[pk].code))
    EvaluationScore.objects.bulk_create(
        [
            EvaluationScore(
                evaluation=evaluation,
                org_unit=units[pk],
                score=totals[pk],
                components=components[pk],
                rank=i + 1,
                previous_rank=previous_ranks.get(pk),
            )
            for i, pk in enumerate(ranked)
        ]
    )
    audit.record(
        actor=actor,
        action="cockpit.evaluation.run",
        target=evaluation,
        org_unit=unit,
        after={
            "from": str(period.day_from),
            "to": str(period.day_to),
            "weights": weights,
            "units": len(ranked),
        },
    )
    return evaluation


@transaction.atomic
def rectifications_open(*, actor: Any, evaluation: Evaluation) -> list[Rectification]:
    """For each unit, its worst component scoring below RECTIFY_BELOW becomes a rectification
    work order (kind "rectification") for that unit, opened by ``actor`` through the work-order
    mechanism; a unit and indicator already listed is not opened twice."""
    ensure_can(actor, "cockpit.evaluate", evaluation.org_unit)
    done = set(evaluation.rectifications.values_list("org_unit_id", "code"))
    created = []
    for score in evaluation.scores.select_related("org_unit"):
        worst = [
            (c["score"], code)
            for code, c in score.components.items()
            if c["score"] is not None and c["score"] < RECTIFY_BELOW
        ]
        if not worst:
            continue
        value, code = min(worst)
        if (score.org_unit_id, code) in done:
            continue
        ind = indicator(code)
        name = ind.name if ind else code
        order = workorders.work_order_open_on_behalf(
            requester=actor,
            via="cockpit",
            kind="rectification",
            category="1101",
            title=_("Rectification: %(indicator)s in %(unit)s")
            % {"indicator": name, "unit": score.org_unit.name},
            description=_(
                "The evaluation of %(start)s to %(end)s scored %(indicator)s at %(score)s of 100 "
                "(value %(value)s). Find the cause, rectify and reply."
            )
            % {
                "start": evaluation.period_start,
                "end": evaluation.period_end,
                "indicator": name,
                "score": value,
                "value": score.components[code]["value"],
            },
            region=score.org_unit,
            source_ref=f"cockpit:evaluation:{evaluation.pk}",
        )
        created.append(
            Rectification.objects.create(
                evaluation=evaluation,
                org_unit=score.org_unit,
                code=code,
                score=value,
                work_order_number=order.number,
            )
        )
    if created:
        audit.record(
            actor=actor,
            action="cockpit.rectifications.open",
            target=evaluation,
            org_unit=evaluation.org_unit,
            after={"work_orders": [r.work_order_number for r in created]},
        )
    return created


def rectification_states(rectifications: list[Rectification]) -> dict[str, dict]:
    """The work-order state of each rectification, by work-order number."""
    return workorder_selectors.work_order_states(
        [r.work_order_number for r in rectifications if r.work_order_number]
    )
