"""Pages of proactive disclosure: the site's home, the catalogue and its search, a document, a department's catalogue, publishing a document."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can_on
from zhengtong.core.access import public, staff
from zhengtong.core.errors import NotFound
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.pagination import keyset_page
from zhengtong.opengov import selectors, services, throttle
from zhengtong.opengov.models import TOPICS, Category, Validity
from zhengtong.opengov.views._common import DOMAIN_ERRORS


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
    throttle.anonymous_read(request, "search")
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
    return render(
        request,
        "opengov/document.html",
        {
            "doc": doc,
            "replaces": doc.replaces.all(),
            "can_publish": can_on(request.user, "opengov.publish", doc),
            "validity_choices": [(v, label) for v, label in Validity.choices if v != Validity.REPLACED],
        },
    )


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
    replaces = request.GET.get("replaces", "")
    initial = {"replaces": int(replaces)} if replaces.isdigit() and len(replaces) < 12 else {}
    form = DocumentForm(request.POST or None, initial=initial, departments=departments)
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
