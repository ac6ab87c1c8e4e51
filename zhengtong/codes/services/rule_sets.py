"""Publishing a new version of a purpose's rules; every code of the purpose is re-issued after."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.codes import certlogic
from zhengtong.codes.models import (
    Purpose,
    RuleSet,
)
from zhengtong.codes.services.issuance import enqueue_reissue
from zhengtong.core.errors import ValidationError


def _check_rules(rules) -> list[dict]:
    if not isinstance(rules, list) or not rules:
        raise ValidationError.for_field("rules", _("a non-empty list of rules is required"))
    seen = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise ValidationError.for_field(f"rules[{i}]", _("each rule must be an object"))
        rid = rule.get("id")
        if not isinstance(rid, str) or not rid or rid in seen:
            raise ValidationError.for_field(f"rules[{i}].id", _("each rule needs a unique id"))
        seen.add(rid)
        if rule.get("colour") not in ("yellow", "red"):
            raise ValidationError.for_field(f"rules[{i}].colour", _("colour must be yellow or red"))
        if not str(rule.get("description", "")).strip():
            raise ValidationError.for_field(
                f"rules[{i}].description", _("a readable description is required")
            )
        problems = certlogic.validate(rule.get("logic"))
        if problems:
            raise ValidationError.for_field(f"rules[{i}].logic", "; ".join(problems[:3]))
    return rules


def rule_set_publish(
    *, actor, purpose: Purpose, rules: list, valid_from: dt.datetime | None = None, note: str = ""
) -> RuleSet:
    """Publish a new version of a purpose's rules (the previous version ends when it starts)."""
    ensure_can(actor, "codes.manage_rules")
    rules = _check_rules(rules)
    valid_from = valid_from or timezone.now()
    with transaction.atomic():
        last = RuleSet.objects.select_for_update().filter(purpose=purpose).order_by("-version").first()
        version = (last.version + 1) if last else 1
        RuleSet.objects.filter(purpose=purpose, valid_to__isnull=True).update(valid_to=valid_from)
        rule_set = RuleSet.objects.create(
            purpose=purpose,
            version=version,
            valid_from=valid_from,
            rules=rules,
            note=note[:200],
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="codes.ruleset_publish",
            target=rule_set,
            after={"purpose": purpose.code, "version": version, "rules": [r["id"] for r in rules]},
            note=note,
        )
        transaction.on_commit(lambda: enqueue_reissue(purpose.code))
    return rule_set
