"""秒批: deciding a case without a person, by published rules over verified data.

An item version may carry a rule set (``DecisionRuleSet``: CertLogic rules, evaluated by the codes
module's evaluator ``codes.certlogic``). A case filed under that version is decided at submission
when every input is verified data:

- no fee, not part of a bundle, and every material satisfied by the registries, an e-licence or
  another completed case (none uploaded, none owed); registry records confirmed through sharing's
  verification where a grant applies (``cases._confirm_through_grants`` ran before);
- every value a rule reads is in the verified context (``context_for``): the person's and the
  entity's registry records, the applicant's valid e-licences, the form fields the registries
  filled (never a typed one), and the clock;
- every rule passes.

Then the case goes from submitted to completed in one transition (``decide_auto``, no actor,
``via="services"``), the e-licence is issued and sealed as for a person's decision, the decision
notice follows, and the applicant is told which rules decided and on which data. The rule set's
number is on the timeline entry and in the audit event. Otherwise nothing is decided: the case
waits for the counter as any other, and the applicant is told why it was not decided at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.codes import certlogic
from zhengtong.core import cache
from zhengtong.core.errors import ValidationError
from zhengtong.services import eforms, notices
from zhengtong.services.models import Case, DecisionRuleSet, ServiceItem
from zhengtong.services.services.common import case_link, tell
from zhengtong.services.services.reviews import issue_licence

audit_actions.register(
    {
        "services.rules.publish": gettext_lazy("Publish decision rules (秒批)"),
        "services.case.decide_auto": gettext_lazy("Case decided by rules (秒批)"),
    }
)

VERIFIED_SOURCES = ("population", "legal_entity")


def rule_inputs(logic: Any) -> set[str]:
    """The data paths a CertLogic expression reads (its ``var`` operands)."""
    found: set[str] = set()
    if isinstance(logic, dict):
        for op, args in logic.items():
            if op == "var":
                path = args[0] if isinstance(args, list) and args else args
                if isinstance(path, str | int):
                    found.add(str(path))
            else:
                found |= rule_inputs(args)
    elif isinstance(logic, list):
        for arg in logic:
            found |= rule_inputs(arg)
    return found


def _has_path(data: dict, path: str) -> bool:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node or node[part] is None:
            return False
        node = node[part]
    return True


def clean_rules(rules: Any) -> list[dict]:
    """Validate a rule list: [{"id", "logic", "explain", "explain_en"}]; field errors name each."""
    errors: dict[str, list[str]] = {}
    if not isinstance(rules, list) or not rules:
        raise ValidationError.for_field("rules", _("give at least one rule"))
    ids: set[str] = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            errors[f"rules.{i}"] = [_("must be an object with id, logic and explain")]
            continue
        rid = rule.get("id")
        if not isinstance(rid, str) or not rid.strip() or rid in ids:
            errors[f"rules.{i}.id"] = [_("needs a unique id")]
        ids.add(str(rid))
        problems = certlogic.validate(rule.get("logic"))
        if problems or "logic" not in rule:
            errors[f"rules.{i}.logic"] = [
                _("is not a valid CertLogic expression: %s") % "; ".join(problems[:2])
            ]
        if not isinstance(rule.get("explain"), str) or not rule["explain"].strip():
            errors[f"rules.{i}.explain"] = [_("say in words what the rule requires")]
    if errors:
        raise ValidationError(fields=errors)
    return [
        {"id": r["id"], "logic": r["logic"], "explain": r["explain"], "explain_en": r.get("explain_en", "")}
        for r in rules
    ]


@transaction.atomic
def decision_rules_publish(*, actor: Any, item: ServiceItem, rules: list[dict]) -> DecisionRuleSet:
    """Publish the 秒批 rules of the item's current version (services.manage_catalogue at the
    item's department). A change makes a new rule version; the same rules again change nothing."""
    ensure_can(actor, "services.manage_catalogue", item.org_unit, item.department)
    if item.current_version_id is None:
        raise ValidationError.for_field("item", _("the item has no published version"))
    rules = clean_rules(rules)
    version = item.current_version
    current = DecisionRuleSet.objects.select_for_update().filter(version=version, is_active=True).first()
    if current is not None and current.rules == rules:
        return current
    last = (
        DecisionRuleSet.objects.filter(version=version)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    if current is not None:
        current.is_active = False
        current.save(update_fields=["is_active"])
    rule_set = DecisionRuleSet.objects.create(version=version, number=(last or 0) + 1, rules=rules)
    _forget_rules()  # this process at once; the others after the commit
    transaction.on_commit(_forget_rules)
    audit.record(
        actor=actor,
        action="services.rules.publish",
        target=item,
        org_unit=item.org_unit,
        after={"version": version.number, "rules": rule_set.number, "ids": [r["id"] for r in rules]},
    )
    return rule_set


# The active rule set of an item version, read by every submission: kept through core.cache (and
# in-process) like the published items (SERVICES_ITEM_CACHE_SECONDS), dropped in every process
# when rules are published.
RULES_CACHE = "services.rules"


def _forget_rules() -> None:
    cache.invalidate(RULES_CACHE)


def active_rules(version_id: int) -> DecisionRuleSet | None:
    """The version's active rule set (shared: read it, do not change it), or None."""

    def load() -> DecisionRuleSet | None:
        return DecisionRuleSet.objects.filter(version_id=version_id, is_active=True).first()

    ttl = settings.SERVICES_ITEM_CACHE_SECONDS
    if not ttl:
        return load()
    return cache.cached(RULES_CACHE, str(version_id), load, ttl, local=True)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def context_for(*, holdings: eforms.Holdings, data: dict | None = None, sources: dict | None = None) -> dict:
    """The verified data a rule may read: registry records, valid e-licences, registry-filled form
    fields and the clock. Nothing the applicant typed is in it."""
    now = timezone.now()
    ctx: dict[str, Any] = {
        "external": {
            "validationClock": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "today": timezone.localdate().isoformat(),
        }
    }
    person, entity = holdings.person, holdings.entity
    if person is not None:
        ctx["person"] = {
            "birth_date": _iso(person.birth_date),
            "sex": person.sex,
            "region": person.resident_id[:6],
        }
    if entity is not None:
        ctx["entity"] = {"uscc": entity.uscc, "entity_type": entity.entity_type, "region": entity.uscc[2:8]}
    ctx["licences"] = {
        code: {"number": lic.number, "valid_to": _iso(lic.valid_to)}
        for code, lic in holdings.licences.items()
    }
    ctx["form"] = {k: (data or {}).get(k) for k in (sources or {})}
    return ctx


def evaluate(rules: list[dict], ctx: dict) -> tuple[bool, list[dict], list[str]]:
    """(all passed, each rule's outcome, the inputs that are not verified data)."""
    missing = sorted({p for r in rules for p in rule_inputs(r["logic"]) if not _has_path(ctx, p)})
    results = []
    for rule in rules:
        passed, _error = certlogic.evaluate_rule(rule["logic"], ctx)
        results.append(
            {
                "id": rule["id"],
                "passed": passed,
                "explain": rule["explain"],
                "explain_en": rule.get("explain_en", ""),
            }
        )
    return (not missing and all(r["passed"] for r in results)), results, missing


def _unverified_materials(case: Case) -> list[str]:
    names = []
    for m in case.item_version.materials:
        status = case.materials.get(m["code"]) or {}
        by = status.get("by", "")
        if status.get("owed") or by == "upload" or (m.get("required", True) and not by):
            names.append(m.get("name", m["code"]))
    return names


def explanation(results: list[dict], number: int) -> str:
    lines = [
        _(
            "Decided automatically under rule version %d (秒批): every condition is met by data the government holds."
        )
        % number
    ]
    lines += [f"✓ {r['explain']}" for r in results]
    return "\n".join(lines)


def decide_on_submit(*, case: Case, holdings: eforms.Holdings) -> bool:
    """In ``case_submit``'s transaction: decide the case now when its version has 秒批 rules and
    every input is verified data (module docstring). True when decided."""
    rule_set = active_rules(case.item_version_id)
    if rule_set is None:
        return False
    reasons: list[str] = []
    if case.fee_fen:
        reasons.append(_("the item has a fee"))
    if case.bundle_application_id:
        reasons.append(_("it is part of a bundle"))
    unverified = _unverified_materials(case)
    if unverified:
        reasons.append(_("these materials are not held by the government: %s") % "、".join(unverified))
    ctx = context_for(holdings=holdings, data=case.data, sources=case.sources)
    passed, results, missing = evaluate(rule_set.rules, ctx)
    if missing:
        reasons.append(_("these inputs are not verified data: %s") % ", ".join(missing))
    failed = [r for r in results if not r["passed"]]
    if not missing and failed:
        reasons.append(_("not met: %s") % "；".join(r["explain"] for r in failed))
    if reasons:
        tell(
            case.applicant,
            "services.case.not_auto",
            _("Application %s goes to the counter") % case.number,
            _("It could not be decided automatically: %s. Staff will handle it.") % "; ".join(reasons),
            case_link(case),
        )
        return False
    decide(case=case, label=f"rules:{rule_set.number}", number=rule_set.number, results=results)
    return True


def decide(*, case: Case, label: str, number: int, results: list[dict]) -> Case:
    """Complete a submitted case without a person (``decide_auto``, via services): the e-licence,
    the decision notice, the explanation to the applicant; the rule version is audited."""
    text = explanation(results, number)
    licence = issue_licence(case=case, actor=None, data={"decided_by": label})
    Case.workflow.apply(
        case,
        "decide_auto",
        actor=None,
        via="services",
        data={"rules": label, "passed": [r["id"] for r in results]},
        changes={
            "licence_id": licence.pk if licence else None,
            "completed_at": timezone.now(),
            "decision_note": text,
        },
    )
    if licence is not None:
        case.licence = licence  # the answer shows it: no second read
    notices.notice_enqueue(case, "complete")
    tell(
        case.applicant,
        "services.case.complete",
        _("Your application %s was approved automatically (秒批)") % case.number,
        text,
        case_link(case),
        applicant=True,
    )
    return case
