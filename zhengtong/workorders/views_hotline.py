"""12345 pages: the operator's call log with suggested answers from the knowledge base, the
hotspot and trend analysis, and the public knowledge-base answers on the 12345 page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.access import public, staff
from zhengtong.core.errors import PermissionDenied, RateLimited, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.ratelimit import hit
from zhengtong.workorders import hooks, selectors, services
from zhengtong.workorders.models import CITIZEN_KINDS, Kind
from zhengtong.workorders.views import _region_choices, category_choices


class CallForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Caller's mobile number"), max_length=20)
    caller_name = forms.CharField(label=gettext_lazy("Caller's name"), max_length=50, required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=[(k, lbl) for k, lbl in Kind.choices if k in CITIZEN_KINDS]
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=category_choices)
    region = forms.ChoiceField(label=gettext_lazy("Where"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What the caller said"), max_length=4000, widget=forms.Textarea
    )
    knowledge_ref = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    answered_directly = forms.BooleanField(
        label=gettext_lazy("Answered directly from the knowledge base (closes the work order)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _region_choices()


@staff
def call(request):
    """Log a 12345 call (workorders.create). Typing the title and pressing "Suggest answers"
    shows matching knowledge-base entries; choosing one records it on the work order."""
    ensure_can(request.user, "workorders.create")
    data = request.POST if request.method == "POST" else None
    form = CallForm(data, initial={"kind": "consultation"})
    q = (request.POST.get("q") or request.POST.get("title") or "").strip() if data else ""
    suggestions = hooks.knowledge_search(request.user, q, 5) if q else []
    chosen = request.POST.get("knowledge_ref", "") if data else ""
    if data and request.POST.get("intent") == "log" and form.is_valid():
        d = form.cleaned_data
        try:
            order = services.call_log(
                actor=request.user,
                phone=d["phone"],
                caller_name=d["caller_name"],
                kind=d["kind"],
                category=d["category"],
                title=d["title"],
                description=d["description"],
                region=account_selectors.org_unit_get(d["region"]),
                knowledge_ref=d["knowledge_ref"],
                answered_directly=d["answered_directly"],
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Call logged: work order %s") % order.number)
            return redirect("workorders:detail", number=order.number)
    elif data:
        form.errors.clear()  # "suggest answers" only: no errors yet
    return render(
        request,
        "workorders/call.html",
        {"form": form, "suggestions": suggestions, "chosen": chosen, "q": q},
    )


class AnalysisForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        coerce=int,
        required=False,
        choices=[
            (7, gettext_lazy("last 7 days")),
            (30, gettext_lazy("last 30 days")),
            (90, gettext_lazy("last 90 days")),
        ],
    )


@staff
def analysis(request):
    """Hotspots and trends by category, region and time (workorders.view, in the user's scope):
    charts with a table beside each."""
    ensure_can(request.user, "workorders.view")
    form = AnalysisForm(request.GET or None, initial={"days": 30})
    days = form.cleaned_data.get("days") or 30 if form.is_valid() else 30
    result = selectors.analysis(request.user, days=days)
    chart = {
        "trend": {"x": [r["day"] for r in result["trend"]], "y": [r["count"] for r in result["trend"]]},
        "category": {
            "x": [r["label"] for r in result["by_category"]],
            "y": [r["count"] for r in result["by_category"]],
        },
        "region": {
            "x": [r["label"] for r in result["by_region"]],
            "y": [r["count"] for r in result["by_region"]],
        },
        "labels": {"trend": _("Work orders per day"), "category": _("By category"), "region": _("By region")},
    }
    return render(request, "workorders/analysis.html", {"form": form, "a": result, "chart": chart})


@public
def answers(request):
    """The 12345 page's public answers (the knowledge base's public entries), searchable in
    Chinese or pinyin; anonymous searches are rate limited per address."""
    q = (request.GET.get("q") or "").strip()[:100]
    found = []
    limited = False
    if q:
        try:
            hit("workorders.answers", request.META.get("REMOTE_ADDR", ""), limit=30, window_seconds=60)
        except RateLimited:
            limited = True
        else:
            found = hooks.knowledge_search(None, q, 20)
    return render(request, "workorders/answers.html", {"q": q, "found": found, "limited": limited})
