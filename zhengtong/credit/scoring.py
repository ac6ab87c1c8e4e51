"""The published credit evaluation model (公共信用综合评价模型). Pure functions: the same facts
always give the same score, and every point is explained by a factor the entity can see.

Score = BASE + the sum of the factors' points, clamped to 0–100. Grade: A ≥ 90, B ≥ 75, C ≥ 60,
else D; an entity on the serious dishonesty list is D whatever its score. The grade drives how
often it is drawn for random inspections (``INSPECTION_PERMILLE``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

MODEL_VERSION = "2026.1"
BASE = 80

# factor code → (label, points per occurrence (× severity where it applies), cap of the sum)
FACTORS: dict[str, tuple[object, int, int]] = {
    "registry_status": (_("Registration status (revoked or deregistered)"), -40, -40),
    "licence_suspended": (_("Suspended e-licences"), -5, -15),
    "licence_revoked": (_("Revoked e-licences"), -15, -30),
    "penalty": (_("Administrative penalties (× severity)"), -10, -50),
    "inspection_fail": (_("Inspections with problems found (× severity)"), -5, -20),
    "inspection_pass": (_("Inspections passed"), 2, 6),
    "complaint": (_("Substantiated complaints"), -3, -15),
    "arrears": (_("Tax or utility arrears"), -10, -20),
    "commendation": (_("Commendations"), 5, 10),
    "red_list": (_("On the trustworthy list"), 10, 10),
}
GRADE_FLOORS = (("A", 90), ("B", 75), ("C", 60))
# Share of each grade's population drawn per random inspection plan, in per mille (A: 1 %).
INSPECTION_PERMILLE = {"A": 10, "B": 30, "C": 100, "D": 300, "U": 30}
SEVERITY_WEIGHTED = {"penalty", "inspection_fail"}


@dataclass
class Facts:
    status: str = "active"
    licences: dict[str, int] = field(default_factory=dict)  # licence state → count
    events: list[tuple[str, int]] = field(default_factory=list)  # (kind, severity), unrepaired
    black_listed: bool = False
    red_listed: bool = False


def grade_of(score: int, *, black_listed: bool = False) -> str:
    if black_listed:
        return "D"
    for grade, floor in GRADE_FLOORS:
        if score >= floor:
            return grade
    return "D"


def evaluate(facts: Facts) -> tuple[int, str, list[dict]]:
    """(score, grade, factors): each factor with its code, count and points, in model order."""
    counts: dict[str, int] = {}
    if facts.status != "active":
        counts["registry_status"] = 1
    if facts.licences.get("suspended"):
        counts["licence_suspended"] = facts.licences["suspended"]
    if facts.licences.get("revoked"):
        counts["licence_revoked"] = facts.licences["revoked"]
    for kind, severity in facts.events:
        if kind in FACTORS:
            counts[kind] = counts.get(kind, 0) + (max(1, severity) if kind in SEVERITY_WEIGHTED else 1)
    if facts.red_listed:
        counts["red_list"] = 1
    total = BASE
    factors = []
    for code, (_label, per, cap) in FACTORS.items():
        n = counts.get(code, 0)
        if not n:
            continue
        points = max(cap, n * per) if per < 0 else min(cap, n * per)
        total += points
        factors.append({"code": code, "count": n, "points": points})
    score = max(0, min(100, total))
    return score, grade_of(score, black_listed=facts.black_listed), factors


def factor_label(code: str) -> str:
    return str(FACTORS[code][0]) if code in FACTORS else code


def published_model() -> dict:
    """The model as published on the credit page and the API."""
    return {
        "version": MODEL_VERSION,
        "base": BASE,
        "factors": [
            {"code": c, "label": str(lbl), "points": per, "cap": cap}
            for c, (lbl, per, cap) in FACTORS.items()
        ],
        "grades": [{"grade": g, "min_score": f} for g, f in GRADE_FLOORS] + [{"grade": "D", "min_score": 0}],
        "inspection_permille": INSPECTION_PERMILLE,
    }
