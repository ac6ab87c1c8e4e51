"""Official documents (公文): drafting, 会签, 签发, distribution, incoming registration."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.core.access import staff
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.workflow import timeline
from zhengtong.workspace import selectors, services
from zhengtong.workspace.views.common import ERRORS
from zhengtong.workspace.workflows import INCOMING_FLOW, OUTGOING_FLOW


class DraftForm(forms.Form):
    template = forms.ChoiceField(
        label=gettext_lazy("Template (文种)"),
        choices=[(k, v["label"]) for k, v in services.TEMPLATES.items()],
    )
    number_prefix = forms.CharField(
        label=gettext_lazy("Issuer code (机关代字), e.g. 西政办发"), max_length=40
    )
    title = forms.CharField(label=gettext_lazy("Title (标题)"), max_length=200)
    recipients = forms.CharField(
        label=gettext_lazy("Main recipients (主送机关)"), max_length=300, required=False
    )
    body = forms.CharField(
        label=gettext_lazy("Body (正文), one paragraph per line"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = forms.CharField(
        label=gettext_lazy("Attachments (附件说明), one per line"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    copy_to = forms.CharField(label=gettext_lazy("Copied to (抄送)"), max_length=300, required=False)
    secrecy = forms.ChoiceField(
        label=gettext_lazy("Secrecy (密级)"),
        required=False,
        choices=[("", "—"), ("秘密", "秘密"), ("机密", "机密"), ("绝密", "绝密")],
    )
    copy_number = forms.CharField(label=gettext_lazy("Copy number (份号)"), max_length=10, required=False)


@staff
def documents(request):
    ensure_can(request.user, "workspace.use")
    return render(
        request,
        "workspace/documents.html",
        {
            "outgoing": selectors.outgoing_for(request.user),
            "to_acknowledge": selectors.distributions_to_acknowledge(request.user),
            "incoming": selectors.incoming_for(request.user),
            "may_draft": can(request.user, "workspace.draft"),
            "may_register": can(request.user, "workspace.register_incoming"),
        },
    )


@staff
def document_new(request):
    form = DraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            doc = services.document_draft(actor=request.user, **form.cleaned_data)
        except ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("workspace:outgoing", pk=doc.pk)
    return render(
        request,
        "workspace/form.html",
        {"form": form, "title": _("Draft a document (拟稿)"), "multipart": False},
    )


@staff
def outgoing_detail(request, pk: int):
    doc = selectors.outgoing_get(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "route":
                depts = [account_selectors.department_by_id(v) for v in request.POST.getlist("departments")]
                services.document_route(actor=request.user, document=doc, departments=[d for d in depts if d])
            elif action == "countersign":
                services.document_countersign(
                    actor=request.user, document=doc, opinion=request.POST.get("opinion", "")[:500]
                )
            elif action == "return":
                services.document_return(
                    actor=request.user, document=doc, note=request.POST.get("note", "")[:500]
                )
            elif action == "sign":
                services.document_sign(actor=request.user, document=doc)
            elif action == "number":
                services.document_number(actor=request.user, document=doc)
            elif action == "issue":
                units = account_selectors.org_units_with_codes(request.POST.getlist("units"))
                services.document_issue(
                    actor=request.user, document=doc, recipients=[(u, None) for u in units]
                )
            elif action == "file":
                services.document_file(actor=request.user, document=doc)
            elif action == "edit":
                services.document_update(actor=request.user, document=doc, body=request.POST.get("body", ""))
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:outgoing", pk=pk)
    roots = selectors.directory_roots(request.user)
    unit = account_selectors.org_unit_by_path(roots[0]) if roots and roots[0] else None
    return render(
        request,
        "workspace/outgoing.html",
        {
            "doc": doc,
            "countersigns": list(doc.countersigns.select_related("department", "signed_by")),
            "distributions": list(
                doc.distributions.select_related("org_unit", "department", "acknowledged_by")
            ),
            "actions": [t.name for t in OUTGOING_FLOW.available(doc, request.user)],
            "departments": list(account_selectors.departments_in(unit)[:100]) if unit else [],
            "units": list(account_selectors.org_unit_subtree(unit, max_depth=1)[:100]) if unit else [],
            "timeline": timeline(doc),
            "template": services.TEMPLATES.get(doc.template, {}),
        },
    )


@staff
def outgoing_pdf(request, pk: int):
    doc = selectors.outgoing_get(request.user, pk)
    data = selectors.outgoing_pdf(doc)
    if not data:
        raise NotFound(_("the document has no sealed PDF yet"))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="document-{doc.pk}.pdf"'
    return response


@staff
def acknowledge(request, pk: int):
    row = selectors.distribution_get(request.user, pk)
    if request.method == "POST":
        try:
            incoming = services.distribution_acknowledge(actor=request.user, distribution=row)
        except ERRORS as exc:
            messages.error(request, exc.message)
            return redirect("workspace:documents")
        messages.success(request, _("Receipt acknowledged and registered."))
        return redirect("workspace:incoming", pk=incoming.pk)
    return redirect("workspace:documents")


@staff
def incoming_detail(request, pk: int):
    doc = selectors.incoming_get(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        value = request.POST.get("text", "")[:4000]
        try:
            if action == "propose":
                services.incoming_propose(actor=request.user, document=doc, proposal=value)
            elif action == "instruct":
                services.incoming_instruct(actor=request.user, document=doc, instruction=value)
            elif action == "assign":
                dept = account_selectors.department_by_id(request.POST.get("department"))
                services.incoming_assign(actor=request.user, document=doc, department=dept)
            elif action == "complete":
                services.incoming_complete(actor=request.user, document=doc, result=value)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:incoming", pk=pk)
    return render(
        request,
        "workspace/incoming.html",
        {
            "doc": doc,
            "actions": [t.name for t in INCOMING_FLOW.available(doc, request.user)],
            "departments": list(account_selectors.departments_in(doc.org_unit)[:100]),
            "timeline": timeline(doc),
        },
    )
