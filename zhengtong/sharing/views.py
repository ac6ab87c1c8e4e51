"""Pages of the sharing module: the sharing directory and attributes, request and approval
pages, the consumer's grants (with the key), the owner's "who uses my data", receipts and
data objections. Every page calls the same services and selectors as the API."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhengtong.accounts.permissions import can, can_on
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.access import authenticated, staff
from zhengtong.core.errors import ValidationError, ZhengtongError
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.core.workflow import timeline
from zhengtong.privacy import grades
from zhengtong.sharing import selectors, services
from zhengtong.sharing.models import DeliveryMode, SharingType


class RequestForm(forms.Form):
    fields_ = forms.MultipleChoiceField(label=gettext_lazy("Fields"), widget=forms.CheckboxSelectMultiple)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.CharField(
        label=pgettext_lazy("sharing", "Legal basis"), max_length=500, required=False
    )
    mode = forms.ChoiceField(label=gettext_lazy("Delivery mode"), choices=DeliveryMode.choices)
    row_scope = forms.CharField(
        label=gettext_lazy("Row scope (region code prefix)"), max_length=15, required=False
    )
    rate_limit_per_minute = forms.IntegerField(
        label=gettext_lazy("Calls per minute"), min_value=1, required=False
    )
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), widget=DateInput())
    hours_from = forms.IntegerField(label=gettext_lazy("From hour"), min_value=0, max_value=23, initial=0)
    hours_to = forms.IntegerField(label=gettext_lazy("To hour"), min_value=1, max_value=24, initial=24)
    service_item_code = forms.CharField(
        label=gettext_lazy("For service item (code)"), max_length=64, required=False
    )


class ProfileForm(forms.Form):
    sharing_type = forms.ChoiceField(label=gettext_lazy("Sharing type"), choices=SharingType.choices)
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis for not sharing"), max_length=500, required=False
    )
    key_field = forms.CharField(label=gettext_lazy("Verification key field"), max_length=100, required=False)
    region_field = forms.CharField(label=gettext_lazy("Region field"), max_length=100, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


class ObjectionForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What is wrong"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    field_name = forms.CharField(label=gettext_lazy("Field"), max_length=100, required=False)
    record_ref = forms.CharField(label=gettext_lazy("Record"), max_length=100, required=False)


@staff
def directory(request):
    return render(
        request,
        "sharing/directory.html",
        {
            "profiles": list(selectors.profiles_directory(actor=request.user)[:500]),
            "may_request": can(request.user, "sharing.request"),
        },
    )


def _profile_fields_from_post(request, profile_fields: list[dict]) -> dict[str, dict]:
    return {
        f["name"]: {
            "shareable": request.POST.get(f"share_{f['name']}") == "on",
            "grade": request.POST.get(f"grade_{f['name']}", f["grade"]),
        }
        for f in profile_fields
    }


@staff
def profile_detail(request, profile_id: int):
    profile = selectors.profile_get(actor=request.user, pk=profile_id)
    may_manage = can_on(request.user, "sharing.manage", profile)
    shareable = [
        (f["name"], f"{f['title']} ({f['name']}, {f['grade']})") for f in profile.fields if f["shareable"]
    ]
    form = RequestForm(prefix="r")
    form.fields["fields_"].choices = shareable
    form.initial["valid_until"] = timezone.localdate() + dt.timedelta(days=365)
    edit = ProfileForm(
        prefix="p",
        initial={
            "sharing_type": profile.sharing_type,
            "legal_basis": profile.legal_basis,
            "key_field": profile.key_field,
            "region_field": profile.region_field,
        },
    )
    if request.method == "POST" and request.POST.get("do") == "request":
        form = RequestForm(request.POST, prefix="r")
        form.fields["fields_"].choices = shareable
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_create(
                    actor=request.user,
                    profile=profile,
                    fields=data["fields_"],
                    purpose=data["purpose"],
                    legal_basis=data["legal_basis"],
                    mode=data["mode"],
                    row_scope=data["row_scope"],
                    rate_limit_per_minute=data["rate_limit_per_minute"],
                    valid_until=data["valid_until"],
                    hours_from=data["hours_from"],
                    hours_to=data["hours_to"],
                    service_item_code=data["service_item_code"],
                )
                messages.success(request, _("Request sent to the owner."))
                return redirect("sharing:request_detail", created.pk)
            except ZhengtongError as exc:
                apply_domain_error(form, exc, field_names={"fields": "fields_"})
    elif request.method == "POST" and request.POST.get("do") == "profile" and may_manage:
        edit = ProfileForm(request.POST, prefix="p")
        if edit.is_valid():
            try:
                services.profile_set(
                    actor=request.user,
                    resource=profile.resource,
                    registry=profile.registry,
                    org_unit=profile.org_unit,
                    department=profile.department,
                    fields=_profile_fields_from_post(request, profile.fields),
                    **edit.cleaned_data,
                )
                messages.success(request, _("Sharing attributes saved."))
                return redirect("sharing:profile", profile.pk)
            except ZhengtongError as exc:
                apply_domain_error(edit, exc)
    return render(
        request,
        "sharing/profile.html",
        {
            "profile": profile,
            "form": form,
            "edit": edit,
            "may_manage": may_manage,
            "may_request": can(request.user, "sharing.request")
            and profile.sharing_type != SharingType.NOT_SHARED,
            "grades": grades.GRADES,
        },
    )


@staff
def resource_profile(request, name: str):
    """Sharing attributes of a catalogue resource: shown from the catalogue's grades until the
    owner saves them."""
    resource = catalog_selectors.resource_get(user=request.user, name_or_id=name)
    existing = selectors.profile_of_resource(resource)
    if existing is not None:
        return redirect("sharing:profile", existing.pk)
    fields = services.default_fields(resource=resource)
    edit = ProfileForm(prefix="p", initial={"sharing_type": SharingType.CONDITIONAL})
    if request.method == "POST":
        edit = ProfileForm(request.POST, prefix="p")
        if edit.is_valid():
            try:
                profile = services.profile_set(
                    actor=request.user,
                    resource=resource,
                    fields=_profile_fields_from_post(request, fields),
                    **edit.cleaned_data,
                )
                messages.success(request, _("Sharing attributes saved."))
                return redirect("sharing:profile", profile.pk)
            except ZhengtongError as exc:
                apply_domain_error(edit, exc)
    return render(
        request,
        "sharing/resource_profile.html",
        {"resource": resource, "fields": fields, "edit": edit, "grades": grades.GRADES},
    )


@staff
def requests_list(request):
    return render(
        request,
        "sharing/requests.html",
        {"requests": list(selectors.requests_of(actor=request.user)[:200]), "deciding": False},
    )


@staff
def decide(request):
    return render(
        request,
        "sharing/requests.html",
        {"requests": list(selectors.requests_to_decide(actor=request.user)[:200]), "deciding": True},
    )


@staff
def request_detail(request, request_id: int):
    obj = selectors.request_get(actor=request.user, pk=request_id)
    form = NoteForm()
    if request.method == "POST":
        form = NoteForm(request.POST)
        action = request.POST.get("action", "")
        if form.is_valid():
            note = form.cleaned_data["note"]
            try:
                if action == "approve":
                    services.request_approve(actor=request.user, request=obj, note=note)
                elif action == "reject":
                    services.request_reject(actor=request.user, request=obj, note=note)
                elif action == "withdraw":
                    services.request_withdraw(actor=request.user, request=obj)
                else:
                    obj.workflow.transition(action)
                messages.success(request, _("Done."))
                return redirect("sharing:request_detail", obj.pk)
            except ZhengtongError as exc:
                apply_domain_error(form, exc)
    grant = getattr(obj, "grant", None) if obj.state == "approved" else None
    return render(
        request,
        "sharing/request_detail.html",
        {
            "req": obj,
            "form": form,
            "needed": services.approvals_needed(obj),
            "may_decide": bool(services.capacities(request.user, obj))
            and obj.state in ("pending", "partly_approved"),
            "may_withdraw": obj.requested_by_id == request.user.pk
            and obj.state in ("pending", "partly_approved"),
            "grant": grant,
            "timeline": timeline(obj),
        },
    )


@staff
def grants(request):
    return render(
        request,
        "sharing/grants.html",
        {
            "mine": list(selectors.grants_as_consumer(actor=request.user)[:200]),
            "owned": list(selectors.grants_as_owner(actor=request.user)[:200]),
        },
    )


@staff
def grant_detail(request, grant_id: int):
    grant = selectors.grant_get(actor=request.user, pk=grant_id)
    form, objection_form, secret = NoteForm(), ObjectionForm(), None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "key":
                _row, secret = services.grant_key_issue(actor=request.user, grant=grant)
                messages.success(request, _("Key issued. Copy it now: it is shown only once."))
            elif action == "extract":
                extract = services.batch_extract(actor=request.user, grant=grant)
                messages.success(request, _("Extract ready: %d rows.") % extract.rows)
                return redirect("sharing:grant_detail", grant.pk)
            elif action == "objection":
                objection_form = ObjectionForm(request.POST)
                if objection_form.is_valid():
                    services.objection_raise(actor=request.user, grant=grant, **objection_form.cleaned_data)
                    messages.success(request, _("Objection sent to the owner."))
                    return redirect("sharing:grant_detail", grant.pk)
            else:
                form = NoteForm(request.POST)
                functions = {
                    "suspend": services.grant_suspend,
                    "resume": services.grant_resume,
                    "revoke": services.grant_revoke,
                }
                if form.is_valid() and action in functions:
                    functions[action](actor=request.user, grant=grant, note=form.cleaned_data["note"])
                    messages.success(request, _("Done."))
                    return redirect("sharing:grant_detail", grant.pk)
        except ZhengtongError as exc:
            apply_domain_error(objection_form if action == "objection" else form, exc)
    return render(
        request,
        "sharing/grant_detail.html",
        {
            "grant": grant,
            "secret": secret,
            "form": form,
            "objection_form": objection_form,
            "is_consumer": not grant.consumer_installation
            and can(request.user, "sharing.request", grant.consumer_org_unit, grant.consumer_department),
            "actions": grant.workflow.available(grant, request.user),
            "exchanges": list(selectors.exchanges_for(actor=request.user, grant=grant)[:50]),
            "objections": list(grant.objections.select_related("raised_by").order_by("-id")[:20]),
            "timeline": timeline(grant),
        },
    )


@staff
def usage(request):
    return render(
        request,
        "sharing/usage.html",
        {
            "rows": selectors.usage_for_owner(actor=request.user),
            "alerts": list(selectors.alerts_for(actor=request.user)[:50]),
            "case": request.GET.get("case", "")[:64],
            "exchanges": list(
                selectors.exchanges_for(actor=request.user, case=request.GET.get("case", "")[:64])[:50]
            ),
        },
    )


@staff
def receipt(request, receipt_id: str):
    """The signed receipt as a JSON file (the owner and the consumer may fetch it)."""
    exchange = selectors.exchange_get(actor=request.user, receipt_id=receipt_id)
    body = json.dumps(selectors.receipt_of(exchange), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="receipt-{exchange.receipt_id}.json"'
    return response


@staff
def objection_detail(request, objection_id: int):
    objection = selectors.objection_get(actor=request.user, pk=objection_id)
    form = NoteForm()
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.objection_answer(
                    actor=request.user, objection=objection, answer=form.cleaned_data["note"]
                )
                messages.success(request, _("Done."))
                return redirect("sharing:objection_detail", objection.pk)
            except ZhengtongError as exc:
                apply_domain_error(form, exc, field_names={"answer": "note"})
    return render(
        request,
        "sharing/objection_detail.html",
        {
            "objection": objection,
            "form": form,
            "may_answer": can_on(request.user, "sharing.approve", objection),
        },
    )


@staff
def batch_download(request, receipt_id: str):
    """A batch extract's CSV (the consumer department's staff only)."""
    exchange = selectors.exchange_get(actor=request.user, receipt_id=receipt_id)
    data = services.batch_file(actor=request.user, exchange=exchange)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="extract-{exchange.receipt_id}.csv"'
    return response


class ReportForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Period"), max_length=40)
    text = forms.CharField(
        label=gettext_lazy("How the data was used"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@authenticated
def open_applications(request):
    """An applicant's conditional-open applications: accept the data-use agreement, report use."""
    agreement = services.agreement_current()
    form = ReportForm()
    if request.method == "POST":
        application = (
            catalog_selectors.application_get(int(request.POST.get("application", "0") or 0))
            if request.POST.get("application", "").isdigit()
            else None
        )
        try:
            if application is None:
                raise ValidationError.for_field("application", _("choose one of your applications"))
            if request.POST.get("action") == "accept":
                version = request.POST.get("version", "")
                services.terms_accept(
                    actor=request.user,
                    application=application,
                    version=int(version) if version.isdigit() else 0,
                )
                messages.success(request, _("Agreement accepted."))
                return redirect("sharing:open_applications")
            form = ReportForm(request.POST)
            if form.is_valid():
                services.usage_report_submit(actor=request.user, application=application, **form.cleaned_data)
                messages.success(request, _("Report sent."))
                return redirect("sharing:open_applications")
        except ZhengtongError as exc:
            messages.error(request, exc.message)
    applications = list(catalog_selectors.applications_of(user=request.user)[:100])
    accepted = selectors.open_terms_for([a.pk for a in applications])
    return render(
        request,
        "sharing/open_applications.html",
        {
            "applications": [(a, accepted.get(a.pk)) for a in applications],
            "agreement": agreement,
            "form": form,
        },
    )
