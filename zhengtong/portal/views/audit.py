from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zhengtong.audit import actions
from zhengtong.audit.selectors import audit_events_for
from zhengtong.core.access import staff
from zhengtong.core.forms import DateInput
from zhengtong.core.pagination import keyset_page


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=100)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions"))] + list(actions.all_actions().items())


@staff
def audit_browser(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = audit_events_for(
        request.user,
        action=filters.get("action") or "",
        actor_label=filters.get("actor") or "",
        target_type=filters.get("target_type") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = keyset_page(qs, order=["-id"], cursor=request.GET.get("cursor"), limit=50)
    for event in page.items:
        event.action_label = actions.label(event.action)
    query = request.GET.copy()
    query.pop("cursor", None)
    template = "audit/partials/rows.html" if request.headers.get("HX-Request") else "audit/browser.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})
