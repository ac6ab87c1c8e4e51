"""Pages of open government: the public disclosure site (catalogue, search, published requests,
reports, consultations, mailbox, powers, 双公示), the requester's own requests, the staff console."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core import ratelimit
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.pagination import keyset_page
from zhengtong.core.workflow import timeline
from zhengtong.opengov import selectors, services
from zhengtong.opengov.models import TOPICS, Category, PowerType, Publicity, ReplyType
from zhengtong.opengov.workflows import REQUEST_FLOW

DOMAIN_ERRORS = (ValidationError, Conflict, PermissionDenied, RateLimited)
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text": "text/plain; charset=utf-8",
}


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _limit(request, scope: str) -> None:
    # Anonymous search and listing: a fixed window per client address on the shared limiter.
    ratelimit.hit(f"opengov.{scope}", _client(request), limit=120, window_seconds=60)


@public
def home(request):
    return render(
        request,
        "opengov/home.html",
        {
            "departments": selectors.departments_with_documents(),
            "recent": selectors.documents()[:10],
            "categories": Category.choices,
        },
    )


@public
def documents(request):
    _limit(request, "search")
    q = request.GET.get("q", "").strip()[:50]
    filters = {k: request.GET.get(k, "")[:20] for k in ("category", "topic", "validity")}
    department = request.GET.get("department", "")
    if department.isdigit():
        filters["department"] = int(department)
    if q:
        try:
            offset = max(0, min(int(request.GET.get("offset", "0")), 1000))
        except ValueError:
            offset = 0
        items = selectors.documents_search(q, filters=filters, limit=20, offset=offset)
        page = None
    else:
        page = keyset_page(
            selectors.documents(filters=filters),
            order=["-published_on", "-id"],
            cursor=request.GET.get("cursor"),
            limit=20,
        )
        items, offset = page.items, 0
    return render(
        request,
        "opengov/documents.html",
        {
            "items": items,
            "page": page,
            "q": q,
            "offset": offset,
            "filters": filters,
            "categories": Category.choices,
            "topics": TOPICS.items(),
        },
    )


@public
def document_detail(request, pk):
    try:
        doc = selectors.document_get(pk)
    except NotFound:
        raise Http404 from None
    return render(request, "opengov/document.html", {"doc": doc, "replaces": doc.replaces.all()})


@public
def department(request, pk):
    dept = account_selectors.department_by_id(pk)
    if dept is None:
        raise Http404
    counts = selectors.catalogue_counts(dept.pk)
    return render(
        request,
        "opengov/department.html",
        {
            "department": dept,
            "guide": selectors.guide_for(dept.pk),
            "categories": [(c, label, counts.get(c, 0)) for c, label in Category.choices],
            "powers": selectors.powers(department=dept.pk)[:50],
        },
    )


# Requests: the requester -------------------------------------------------------


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
    _limit(request, "list")
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


# Reports -----------------------------------------------------------------------


@public
def reports(request):
    return render(request, "opengov/reports.html", {"items": selectors.reports_published()[:200]})


@public
def report(request, pk):
    try:
        item = selectors.report_public(pk)
    except NotFound:
        raise Http404 from None
    return render(request, "opengov/report.html", {"report": item})


@staff
def staff_reports(request):
    error = None
    departments = account_selectors.departments_for(request.user, "opengov.publish")
    if request.method == "POST":
        try:
            dept = next((d for d in departments if str(d.pk) == request.POST.get("department")), None)
            if dept is None:
                raise ValidationError.for_field("department", _("is not a department you publish for"))
            year = request.POST.get("year", "")
            if not year.isdigit():
                raise ValidationError.for_field("year", _("must be a year"))
            item = services.report_generate(actor=request.user, department=dept, year=int(year))
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            return redirect("opengov:staff_report", pk=item.pk)
    return render(request, "opengov/staff_reports.html", {"departments": departments, "error": error})


@staff
def staff_report(request, pk):
    try:
        item = selectors.report_for_staff(request.user, pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "regenerate":
                services.report_generate(actor=request.user, department=item.department, year=item.year)
            elif action == "edit":
                services.report_edit(
                    actor=request.user,
                    report=item,
                    overview=request.POST.get("overview", ""),
                    problems=request.POST.get("problems", ""),
                )
            elif action == "publish":
                services.report_publish(actor=request.user, report=item)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            return redirect("opengov:staff_report", pk=item.pk)
    return render(request, "opengov/staff_report.html", {"report": item, "error": error})


# Participation -------------------------------------------------------------------


@public
def consultations(request):
    return render(request, "opengov/consultations.html", {"items": selectors.consultations_public()[:100]})


@public
def consultation(request, pk):
    try:
        item = selectors.consultation_get(pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={request.path}")
        article_pk = request.POST.get("article", "")
        article = item.articles.filter(pk=article_pk).first() if article_pk.isdigit() else None
        try:
            services.comment_post(
                actor=request.user, consultation=item, body=request.POST.get("body", ""), article=article
            )
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            messages.success(request, _("Thank you: your comment will appear once moderated."))
            return redirect("opengov:consultation", pk=item.pk)
    comments = list(selectors.comments_public(item))
    by_article: dict = {}
    for c in comments:
        by_article.setdefault(c.article_id, []).append(c)
    articles = [(a, by_article.get(a.pk, [])) for a in item.articles.all()]
    return render(
        request,
        "opengov/consultation.html",
        {
            "c": item,
            "articles": articles,
            "general": by_article.get(None, []),
            "comments": comments,
            "error": error,
        },
    )


@staff
def staff_consultation(request, pk):
    try:
        item = selectors.consultation_get(pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "summarize":
                services.consultation_summarize(
                    actor=request.user, consultation=item, summary=request.POST.get("summary", "")
                )
            else:
                comment = selectors.comment_get(request.POST.get("comment", "0"))
                if comment.consultation_id != item.pk:
                    raise ValidationError.for_field("comment", _("is not a comment of this consultation"))
                if action == "moderate":
                    services.comment_moderate(
                        actor=request.user,
                        comment=comment,
                        publish=request.POST.get("publish") == "1",
                        reason=request.POST.get("reason", ""),
                    )
                elif action == "decide":
                    services.comment_decide(
                        actor=request.user,
                        comment=comment,
                        outcome=request.POST.get("outcome", ""),
                        reason=request.POST.get("reason", ""),
                    )
                else:
                    raise ValidationError.for_field("action", _("unknown action"))
        except (*DOMAIN_ERRORS, NotFound) as exc:
            error = exc.message
        else:
            return redirect("opengov:staff_consultation", pk=item.pk)
    return render(
        request,
        "opengov/staff_consultation.html",
        {"c": item, "comments": selectors.comments_to_moderate(request.user, item), "error": error},
    )


class LetterForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Letter"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    publish_consent = forms.BooleanField(label=gettext_lazy("The reply may be published"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, f"{d.org_unit.name} · {d.name}") for d in account_selectors.departments_active()[:500]
        ]


@public
def mailbox(request):
    form = LetterForm(request.POST or None) if request.user.is_authenticated else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            letter = services.letter_send(
                actor=request.user,
                department=account_selectors.department_by_id(data["department"]),
                title=data["title"],
                body=data["body"],
                publish_consent=data["publish_consent"],
            )
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Sent: work order %s") % letter.work_order_number)
            return redirect("opengov:mailbox")
    return render(request, "opengov/mailbox.html", {"form": form, "letters": selectors.letters_public()[:50]})


@public
def powers(request):
    department = request.GET.get("department", "")
    power_type = request.GET.get("type", "")[:14]
    life_event = request.GET.get("life_event", "")[:40]
    items = selectors.powers(
        department=int(department) if department.isdigit() else None,
        power_type=power_type,
        life_event=life_event,
    )[:200]
    return render(
        request,
        "opengov/powers.html",
        {
            "items": items,
            "types": PowerType.choices,
            "departments": account_selectors.departments_active()[:500],
            "selected": {"department": department, "type": power_type, "life_event": life_event},
        },
    )


@public
def publicity(request):
    _limit(request, "list")
    kind = request.GET.get("kind", "")
    kind = kind if kind in Publicity.Kind.values else ""
    page = keyset_page(
        selectors.publicity_current(kind=kind, q=request.GET.get("q", "").strip()[:50]),
        order=["-published_on", "-id"],
        cursor=request.GET.get("cursor"),
        limit=30,
    )
    return render(request, "opengov/publicity.html", {"page": page, "kind": kind})


class DocumentForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=list(TOPICS.items()))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    doc_number = forms.CharField(label=gettext_lazy("Document number"), max_length=80, required=False)
    issuing_body = forms.CharField(label=gettext_lazy("Issuing body"), max_length=200)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"))
    effective_on = forms.DateField(label=gettext_lazy("Effective from"), required=False)
    replaces = forms.IntegerField(label=gettext_lazy("Replaces document (id)"), required=False)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 10, "cols": 80}))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, f"{d.org_unit.name} · {d.name}") for d in departments]


@staff
def staff_document_new(request):
    departments = account_selectors.departments_for(request.user, "opengov.publish")
    form = DocumentForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            replaces = selectors.document_get(data["replaces"]) if data["replaces"] else None
            doc = services.document_publish(
                actor=request.user,
                department=next(d for d in departments if d.pk == data["department"]),
                category=data["category"],
                topic=data["topic"],
                title=data["title"],
                doc_number=data["doc_number"],
                issuing_body=data["issuing_body"],
                issued_on=data["issued_on"],
                effective_on=data["effective_on"],
                body=data["body"],
                replaces=replaces,
            )
        except (*DOMAIN_ERRORS, NotFound) as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Published: %s") % doc.index_number)
            return redirect("opengov:document", pk=doc.pk)
    return render(request, "opengov/staff_document_new.html", {"form": form})
