"""Pages: the published model and lists, an entity's credit with its explanation and repair
requests; the credit office's repair worklist."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core import ratelimit
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationError
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.credit import reports, scoring, selectors, services
from zhengtong.credit.models import ListKind
from zhengtong.registry import selectors as registry_selectors

DOMAIN_ERRORS = (ValidationError, Conflict, PermissionDenied, NotFound)


def _limit(request) -> None:
    ratelimit.hit(
        "credit.public",
        client_ip(request) or "-",
        limit=settings.CREDIT_PUBLIC_RATE_PER_MINUTE,
        window_seconds=60,
    )


@public
def home(request):
    _limit(request)
    uscc = request.GET.get("uscc", "").strip().upper()[:18]
    if uscc:
        return redirect("credit:entity", uscc)
    return render(
        request,
        "credit/home.html",
        {
            "model": scoring.published_model(),
            "black": selectors.live_list_entries(kind="black")[:100],
            "red": selectors.live_list_entries(kind="red")[:100],
        },
    )


@public
def entity(request, uscc: str):
    _limit(request)
    entity = selectors.entity_by_uscc(uscc[:18])
    may_act = request.user.is_authenticated and registry_selectors.may_act_for(request.user, entity)
    may_report = request.user.is_authenticated and reports.may_see_reports(request.user, entity)
    if request.method == "POST" and request.POST.get("action") == "report" and may_report:
        try:
            report = reports.credit_report_issue(actor=request.user, entity=entity)
            messages.success(request, _("Credit report issued; verification code %s.") % report.seal_code)
        except DOMAIN_ERRORS + (RateLimited,) as exc:
            messages.error(request, exc.message)
        return redirect("credit:entity", entity.uscc)
    if request.method == "POST" and may_act:
        ref = request.POST.get("record", "")
        try:
            event = selectors.events_of(entity).filter(source_ref=ref[:64]).first() if ref else None
            entry = None if ref else selectors.live_list_entries(entity, kind="black").first()
            req = services.repair_submit(
                actor=request.user,
                entity=entity,
                event=event,
                list_entry=entry,
                reason=request.POST.get("reason", ""),
                commitment=request.POST.get("commitment") == "on",
            )
            messages.success(request, _("Repair request %s submitted.") % req.number)
            return redirect("credit:entity", entity.uscc)
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
    score = selectors.score_of(entity)
    return render(
        request,
        "credit/entity.html",
        {
            "entity": entity,
            "score": score,
            "factors": selectors.explained_factors(score),
            "measures": selectors.measures_for(entity.uscc),
            "may_act": may_act,
            "events": list(selectors.events_of(entity)[:50]) if may_act else [],
            "may_report": may_report,
            "reports": list(selectors.reports_of(entity)[:20]) if may_report else [],
        },
    )


@staff
def repairs(request):
    if request.method == "POST":
        try:
            req = selectors.repair_get_for(request.user, int(request.POST.get("pk", "0") or 0))
            action = request.POST.get("action", "")
            version = request.POST.get("version", "")
            expected = int(version) if version.isdigit() else None
            note = request.POST.get("note", "")
            if action == "approve":
                services.repair_approve(actor=request.user, request=req, note=note, expected_version=expected)
            elif action == "reject":
                services.repair_reject(actor=request.user, request=req, note=note, expected_version=expected)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
            messages.success(request, _("Done."))
            return redirect("credit:repairs")
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
    return render(request, "credit/repairs.html", {"repairs": selectors.repairs_for(request.user)[:100]})


@authenticated
def report_pdf(request, pk: int):
    report = selectors.report_get(pk)
    data = reports.report_pdf(actor=request.user, report=report)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-report-{report.seal_code}.pdf"'
    return response


class ListEntryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("List"), choices=ListKind.choices)
    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=18)
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=300)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    until = forms.DateField(label=gettext_lazy("Until"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, d.name) for d in account_selectors.departments_for(user, "credit.manage")
        ]


@staff
def lists(request):
    """Red and black list management (credit.manage): the live entries in scope, adding one,
    ending one early with a reason. The services check the permission on every path."""
    form = ListEntryForm(request.POST if request.POST.get("action") == "add" else None, user=request.user)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "add":
                if form.is_valid():
                    data = form.cleaned_data
                    entry = services.list_entry_add(
                        actor=request.user,
                        entity=selectors.entity_by_uscc(data["uscc"].strip().upper()),
                        kind=data["kind"],
                        legal_basis=data["legal_basis"],
                        reason=data["reason"],
                        until=data["until"],
                        department=account_selectors.department_by_id(data["department"]),
                    )
                    messages.success(request, _("%s listed.") % entry.entity.name)
                    return redirect("credit:lists")
            elif request.POST.get("action") == "remove":
                entry = selectors.list_entry_get_for(request.user, request.POST.get("pk", ""))
                services.list_entry_remove(
                    actor=request.user, entry=entry, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("List entry ended."))
                return redirect("credit:lists")
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except DOMAIN_ERRORS as exc:
            if request.POST.get("action") == "add":
                apply_domain_error(form, exc)
            else:
                messages.error(request, exc.message)
    return render(
        request,
        "credit/lists.html",
        {"form": form, "entries": selectors.list_entries_for(request.user)[:500]},
    )
