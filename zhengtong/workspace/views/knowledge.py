"""The knowledge base pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import can
from zhengtong.core import ratelimit
from zhengtong.core.access import public, staff
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import KnowledgeEntry
from zhengtong.workspace.views.common import ERRORS


@public
def knowledge(request):
    """The knowledge base: public entries for anyone (12345's answers), internal ones for staff."""
    q = request.GET.get("q", "")[:50]
    if q and not request.user.is_authenticated:
        ratelimit.hit(
            "workspace.knowledge",
            client_ip(request) or "-",
            limit=settings.WORKSPACE_KNOWLEDGE_SEARCH_PER_MINUTE,
        )
    entries = selectors.knowledge_search(request.user, q=q)
    return render(
        request,
        "workspace/knowledge.html",
        {"entries": entries, "q": q, "may_write": can(request.user, "workspace.knowledge_edit")},
    )


@public
def knowledge_entry(request, pk: int):
    return render(
        request, "workspace/knowledge_entry.html", {"entry": selectors.knowledge_get(request.user, pk)}
    )


class KnowledgeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=KnowledgeEntry.Kind.choices)
    visibility = forms.ChoiceField(
        label=gettext_lazy("Visibility"), choices=KnowledgeEntry.Visibility.choices
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    tags = forms.CharField(label=gettext_lazy("Tags"), max_length=200, required=False)


@staff
def knowledge_new(request):
    form = KnowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.knowledge_entry_create(actor=request.user, **form.cleaned_data)
        except ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("workspace:knowledge_entry", pk=entry.pk)
    return render(
        request, "workspace/form.html", {"form": form, "title": _("New knowledge entry"), "multipart": False}
    )
