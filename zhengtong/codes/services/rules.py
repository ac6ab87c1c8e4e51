"""Purposes and their rule sets: the current version and its evaluation (CertLogic)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.codes import certlogic
from zhengtong.codes.models import (
    COLOUR_RANK,
    Purpose,
    RuleSet,
)
from zhengtong.core.errors import NotFound


def purpose_get(code: str) -> Purpose:
    purpose = Purpose.objects.filter(code=code).first()
    if purpose is None:
        raise NotFound(_("unknown purpose “%s”") % code)
    return purpose


def rule_set_current(purpose: Purpose, *, at: dt.datetime | None = None) -> RuleSet | None:
    at = at or timezone.now()
    return (
        RuleSet.objects.filter(purpose=purpose, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .order_by("-version")
        .first()
    )


def evaluate_rules(rule_set: RuleSet | None, context: dict) -> tuple[str, list[dict]]:
    """(colour, failed rules) — a rule that errors fails (fail safe)."""
    if rule_set is None:
        return "green", []
    colour, failed = "green", []
    for rule in rule_set.rules:
        passed, error = certlogic.evaluate_rule(rule.get("logic"), context)
        if not passed:
            failed.append(
                {
                    "id": rule["id"],
                    "colour": rule["colour"],
                    "description": rule.get("description", ""),
                    "description_en": rule.get("description_en", ""),
                    "advice": rule.get("advice", ""),
                    "advice_en": rule.get("advice_en", ""),
                    "error": bool(error),
                }
            )
            if COLOUR_RANK[rule["colour"]] > COLOUR_RANK[colour]:
                colour = rule["colour"]
    return colour, failed
