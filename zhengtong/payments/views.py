"""Payer pages (bill, provider's hosted page, return page) and staff pages (bills, refunds,
reconciliation)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from zhengtong.accounts.permissions import can, ensure_can, scope_q
from zhengtong.core.access import authenticated, staff
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.core.pagination import keyset_page
from zhengtong.payments import services
from zhengtong.payments.models import Bill, LocalOrder, Payment
from zhengtong.payments.providers import LocalProvider


@authenticated
@require_http_methods(["GET", "POST"])
def pay(request, number: str):
    bill = services.bill_get_for_payer(request.user, number)
    if request.method == "POST":
        return_url = reverse("payments:pay_return", args=[bill.number])
        try:
            payment, target = services.payment_start(actor=request.user, bill=bill, return_url=return_url)
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
            return redirect("payments:pay", number=bill.number)
        return redirect(target)
    return render(request, "payments/pay.html", {"bill": bill, "payments": bill.payments.all()})


@authenticated
def pay_return(request, number: str):
    """Back from the provider: pending until the provider's callback confirms (htmx polls)."""
    bill = services.bill_get_for_payer(request.user, number)
    template = (
        "payments/partials/status.html" if request.headers.get("HX-Request") else "payments/return.html"
    )
    return render(request, template, {"bill": bill})


@authenticated
@require_http_methods(["GET", "POST"])
def provider_page(request, token: str):
    """The local provider's hosted payment page (a real provider's page lives on its own site)."""
    order = LocalOrder.objects.filter(token=token).first()
    payment = Payment.objects.select_related("bill").filter(token=token).first()
    if order is None or payment is None or (payment.bill.payer_id not in (None, request.user.pk)):
        raise Http404
    back = request.GET.get("return") or reverse("payments:pay_return", args=[payment.bill.number])
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = "/"
    if request.method == "POST":
        LocalProvider().payer_confirm(token)
        return redirect(back)
    return render(request, "payments/provider.html", {"order": order, "bill": payment.bill, "back": back})


class BillFilter(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("all"))] + list(Bill.State.choices),
    )
    q = forms.CharField(label=gettext_lazy("Bill number or reference"), required=False, max_length=64)


@staff
def bills(request):
    form = BillFilter(request.GET or None)
    qs = Bill.objects.filter(
        scope_q(request.user, "payments.view", department_field="department")
    ).select_related("org_unit", "department")
    if form.is_valid():
        if form.cleaned_data["state"]:
            qs = qs.filter(state=form.cleaned_data["state"])
        q = form.cleaned_data["q"].strip()
        if q:
            qs = qs.filter(number=q) | qs.filter(reference=q)
    page = keyset_page(qs, order=["-created_at", "-id"], cursor=request.GET.get("cursor"), limit=50)
    return render(request, "payments/bills.html", {"form": form, "page": page})


class RefundForm(forms.Form):
    amount_yuan = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"), min_value=0, decimal_places=2, max_digits=12
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


@staff
@require_http_methods(["GET", "POST"])
def bill_detail(request, number: str):
    bill = services.bill_get_for_payer(request.user, number)
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fen = int(form.cleaned_data["amount_yuan"] * 100)
        try:
            services.refund_create(
                actor=request.user, bill=bill, amount_fen=fen, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, Conflict, PermissionDenied) as exc:
            apply_domain_error(form, exc, field_names={"amount_fen": "amount_yuan"})
        else:
            messages.success(request, _("Refund requested; it counts once the provider confirms it."))
            return redirect("payments:bill", number=bill.number)

    return render(
        request,
        "payments/bill.html",
        {
            "bill": bill,
            "payments": bill.payments.prefetch_related("refunds"),
            "form": form,
            "may_refund": can(request.user, "payments.refund", bill.org_unit, bill.department),
        },
    )


class DayForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=DateInput())


@staff
def reconciliation(request):
    ensure_can(request.user, "payments.reconcile")
    form = DayForm(request.GET or {"day": timezone.localdate().isoformat()})
    result = None
    if form.is_valid():
        try:
            result = services.reconcile(actor=request.user, day=form.cleaned_data["day"])
        except ValidationError as exc:
            apply_domain_error(form, exc)
        if result is not None and request.GET.get("format") == "csv":
            response = HttpResponse(result.csv(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="reconciliation-{result.day}.csv"'
            return response
    return render(request, "payments/reconciliation.html", {"form": form, "result": result})
