"""Pages of requests for disclosure: filing and following one's own, the published ones, downloads; the staff worklist and a request's handling."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.pagination import keyset_page
from zhengtong.core.workflow import timeline
from zhengtong.opengov import selectors, services, throttle
from zhengtong.opengov.models import ReplyType
from zhengtong.opengov.views._common import CONTENT_TYPES, DOMAIN_ERRORS
from zhengtong.opengov.workflows import REQUEST_FLOW


class RequestForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    description = forms.CharField(
        label=gettext_lazy("Information requested"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose (optional)"), max_length=500, required=False)
    delivery = forms.ChoiceField(
        label=gettext_lazy("Delivery"),
        choices=[
            ("online", gettext_lazy("online")),
            ("post", gettext_lazy("by post")),
            ("pickup", gettext_lazy("pick up")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, f"{d.org_unit.name} · {d.name}") for d in account_selectors.departments_active()[:500]
        ]


@authenticated
def request_new(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.request_file(
                actor=request.user,
                department=account_selectors.department_by_id(data["department"]),
                description=data["description"],
                purpose=data["purpose"],
                delivery=data["delivery"],
            )
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Request %s received") % req.number)
            return redirect("opengov:my_request", number=req.number)
    return render(
        request,
        "opengov/request_new.html",
        {"form": form, "real_name": getattr(request.user, "is_real_name", False)},
    )


@authenticated
def my_requests(request):
    return render(request, "opengov/my_requests.html", {"items": selectors.my_requests(request.user)[:100]})


def _timeline(req):
    """Each step by what was done (the transition), the first by the state it opened in."""
    names = {t.name: t.label for t in REQUEST_FLOW.transitions}
    return [(e, names.get(e.transition) or REQUEST_FLOW.state_label(e.to_state)) for e in timeline(req)]


@authenticated
def my_request(request, number):
    try:
        req = selectors.my_request(request.user, number)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "correct":
                services.request_correct(
                    actor=request.user, request=req, description=request.POST.get("description", "")
                )
            elif action == "withdraw":
                services.request_withdraw(actor=request.user, request=req)
            elif action == "publish":
                services.request_publication_set(
                    actor=request.user, request=req, consent=request.POST.get("consent") == "1"
                )
            elif action == "review":
                services.request_review_ask(
                    actor=request.user, request=req, reason=request.POST.get("note", "")
                )
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            messages.success(request, _("Done."))
            return redirect("opengov:my_request", number=req.number)
    return render(
        request,
        "opengov/my_request.html",
        {
            "req": req,
            "error": error,
            "documents": selectors.published_documents_of(req),
            "timeline": _timeline(req),
        },
    )


@public
def published_requests(request):
    throttle.anonymous_read(request, "list")
    page = keyset_page(
        selectors.published_requests(),
        order=["-published_at", "-id"],
        cursor=request.GET.get("cursor"),
        limit=20,
    )
    return render(request, "opengov/published_requests.html", {"page": page})


@public
def published_request(request, number):
    try:
        req = selectors.published_request(number)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "opengov/published_request.html",
        {"req": req, "documents": selectors.published_documents_of(req)},
    )


@public
def request_document(request, pk, variant):
    if variant not in ("redacted", "original"):
        raise Http404
    try:
        doc = selectors.request_document(request.user, pk, redacted=variant == "redacted")
    except NotFound:
        raise Http404 from None
    content = bytes(doc.redacted if variant == "redacted" else doc.content)
    response = HttpResponse(content, content_type=CONTENT_TYPES.get(doc.kind, "application/octet-stream"))
    response["Content-Disposition"] = (
        f'attachment; filename="{variant}-{doc.pk}.{ {"text": "txt"}.get(doc.kind, doc.kind) }"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Requests: staff -----------------------------------------------------------------


@staff
def worklist(request):
    page = keyset_page(
        selectors.worklist(
            request.user, state=request.GET.get("state", ""), sla_state=request.GET.get("sla", "")
        ),
        order=["-created_at", "-id"],
        cursor=request.GET.get("cursor"),
        limit=30,
    )
    return render(request, "opengov/worklist.html", {"page": page, "states": REQUEST_FLOW.states.items()})


def _staff_action(request, req) -> None:
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    user = request.user
    if action == "request_correction":
        services.request_ask_correction(actor=user, request=req, note=note)
    elif action == "consult":
        services.request_consult(actor=user, request=req, third_party=request.POST.get("third_party", ""))
    elif action == "consulted":
        services.request_consulted(actor=user, request=req, opinion=note)
    elif action == "extend":
        services.request_extend(actor=user, request=req, reason=note)
    elif action == "reply":
        services.request_reply(
            actor=user,
            request=req,
            reply_type=request.POST.get("reply_type", ""),
            reply_text=request.POST.get("reply_text", ""),
            legal_ground=request.POST.get("legal_ground", ""),
            public_link=request.POST.get("public_link", ""),
            referral_body=request.POST.get("referral_body", ""),
            referral_contact=request.POST.get("referral_contact", ""),
            previous_number=request.POST.get("previous_number", ""),
        )
    elif action == "add_document":
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError.for_field("file", _("is required"))
        if upload.size > settings.OPENGOV_ATTACHMENT_MAX_BYTES:
            raise ValidationError.for_field("file", _("is too large"))
        services.request_document_add(
            actor=user,
            request=req,
            filename=upload.name,
            content=upload.read(),
            extra_terms=_lines(request.POST.get("extra_terms", "")),
        )
    elif action == "redact":
        services.request_document_redact(
            actor=user,
            document=_document(req, request.POST.get("document")),
            extra_terms=_lines(request.POST.get("extra_terms", "")),
        )
    elif action == "check":
        services.request_document_check(actor=user, document=_document(req, request.POST.get("document")))
    elif action == "record_review":
        services.request_review_record(
            actor=user, request=req, outcome=request.POST.get("outcome", ""), note=note
        )
    else:
        raise ValidationError.for_field("action", _("unknown action"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("，", "\n").replace(",", "\n").splitlines() if line.strip()]


def _document(req, pk):
    doc = req.documents.filter(pk=pk).first() if str(pk).isdigit() else None
    if doc is None:
        raise ValidationError.for_field("document", _("is not a document of this request"))
    return doc


@staff
def staff_request(request, number):
    try:
        req = selectors.request_for_staff(request.user, number)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            _staff_action(request, req)
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            messages.success(request, _("Done."))
            return redirect("opengov:staff_request", number=req.number)
    return render(
        request,
        "opengov/staff_request.html",
        {
            "req": req,
            "error": error,
            "available": [t.name for t in REQUEST_FLOW.available(req, request.user)],
            "documents": req.documents.all(),
            "reply_types": ReplyType.choices,
            "required": services.REQUIRED,
            "timeline": _timeline(req),
        },
    )
