"""Internal approvals."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.access import staff
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.core.workflow import timeline
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import Approval
from zhengtong.workspace.views.common import ERRORS
from zhengtong.workspace.workflows import APPROVAL_FLOW


class ApprovalForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Approval.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    details = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount_yuan = forms.DecimalField(
        label=gettext_lazy("Amount (yuan), procurement"),
        required=False,
        min_value=0,
        max_digits=13,
        decimal_places=2,
    )
    start_date = forms.DateField(label=gettext_lazy("From (leave)"), required=False, widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("To (leave)"), required=False, widget=DateInput())


@staff
def approvals(request):
    ensure_can(request.user, "workspace.use")
    form = ApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = services.approval_submit(
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                details=data["details"],
                amount_fen=int(data["amount_yuan"] * 100) if data["amount_yuan"] is not None else None,
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except ERRORS as exc:
            apply_domain_error(form, exc, field_names={"amount_fen": "amount_yuan"})
        else:
            return redirect("workspace:approval", pk=approval.pk)
    return render(
        request,
        "workspace/approvals.html",
        {
            "form": form,
            "mine": selectors.approvals_mine(request.user),
            "to_decide": selectors.approvals_to_decide(request.user),
        },
    )


@staff
def approval_detail(request, pk: int):
    approval = selectors.approval_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "withdraw":
                services.approval_withdraw(actor=request.user, approval=approval)
            else:
                services.approval_decide(
                    actor=request.user,
                    approval=approval,
                    decision=action,
                    note=request.POST.get("note", "")[:1000],
                )
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:approval", pk=pk)
    return render(
        request,
        "workspace/approval.html",
        {
            "approval": approval,
            "actions": APPROVAL_FLOW.available(approval, request.user),
            "timeline": timeline(approval),
        },
    )
