"""Staff pages of 秒批 rules and 免申即享 benefits (services.manage_catalogue): the items with
their rule versions (CertLogic JSON), audit history and a form for a new version whose errors
name the field; the benefits with their proposals, history and a scan to run now."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.access import staff
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.services import selectors_rules, services


class RulesForm(forms.Form):
    rules = forms.CharField(
        label=gettext_lazy("Rules (CertLogic JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "class": "mono", "spellcheck": "false"}),
        help_text=gettext_lazy(
            'A list of rules: [{"id": "…", "logic": {CertLogic}, "explain": "…", "explain_en": "…"}]; every rule must pass.'
        ),
    )


@staff
def rules(request):
    ensure_can(request.user, "services.manage_catalogue")
    items = selectors_rules.rule_items_for_staff(request.user)[:300]
    return render(request, "services/rules.html", {"items": items})


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    return [(name, msg) for name, msgs in exc.fields.items() for msg in msgs]


@staff
def rule_detail(request, code: str):
    item = selectors_rules.rule_item_for_staff(request.user, code)
    sets = selectors_rules.rule_sets_of(item)
    active = next((s for s in sets if s.is_active and s.version_id == item.current_version_id), None)
    initial = json.dumps(active.rules if active else [], ensure_ascii=False, indent=2)
    form = RulesForm(request.POST or None, initial={"rules": initial})
    errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            parsed = json.loads(form.cleaned_data["rules"])
        except json.JSONDecodeError as exc:
            form.add_error(
                "rules", _("not valid JSON: %(msg)s (line %(line)d)") % {"msg": exc.msg, "line": exc.lineno}
            )
        else:
            try:
                rule_set = services.autodecide.decision_rules_publish(
                    actor=request.user, item=item, rules=parsed
                )
            except ValidationError as exc:
                errors = _field_errors(exc)
                form.add_error("rules", exc.message or _("check the rules"))
            except PermissionDenied as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Rule version %d is active.") % rule_set.number)
                return redirect("services:rule_detail", code=item.code)
    sets_view = [(s, json.dumps(s.rules, ensure_ascii=False, indent=2)) for s in sets]
    return render(
        request,
        "services/rule_detail.html",
        {
            "item": item,
            "sets": sets_view,
            "history": selectors_rules.rule_history(item),
            "form": form,
            "errors": errors,
        },
    )


@staff
def benefits(request):
    ensure_can(request.user, "services.manage_catalogue")
    return render(
        request,
        "services/benefits_staff.html",
        {"benefits": selectors_rules.benefits_for_staff(request.user)[:200]},
    )


@staff
def benefit_detail(request, code: str):
    benefit = selectors_rules.benefit_for_staff(request.user, code)
    result = None
    if request.method == "POST" and request.POST.get("action") == "scan":
        try:
            result = services.eligibility.eligibility_scan(benefit=benefit, actor=request.user)
        except (PermissionDenied, Conflict) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Scan done: %(scanned)d checked, %(eligible)d entitled, %(proposed)d newly proposed.")
                % result,
            )
            return redirect("services:benefit_staff", code=benefit.code)
    state = request.GET.get("state", "")
    return render(
        request,
        "services/benefit_staff.html",
        {
            "benefit": benefit,
            "rule_json": json.dumps(benefit.rule.get("logic"), ensure_ascii=False, indent=2),
            "counts": selectors_rules.benefit_counts(benefit),
            "proposals": selectors_rules.benefit_proposals(benefit, state=state),
            "history": selectors_rules.benefit_history(benefit),
            "state": state,
        },
    )
