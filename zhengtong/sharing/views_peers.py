"""Pages between installations (跨地域): the trusted installations, another installation's shared
sources (as it lists them to us) with a request form, and the state of our department's requests
to other installations. The same services as the API (``peer_requests``); the other
installation's decision is taken on its own pages, where the request is marked with its origin."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhengtong.accounts.permissions import can
from zhengtong.core.access import staff
from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.core.forms import apply_domain_error
from zhengtong.sharing import selectors, services
from zhengtong.sharing.models import DeliveryMode


class RemoteRequestForm(forms.Form):
    fields_ = forms.MultipleChoiceField(label=gettext_lazy("Fields"), widget=forms.CheckboxSelectMultiple)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.CharField(
        label=pgettext_lazy("sharing", "Legal basis"), max_length=500, required=False
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Delivery mode"),
        choices=[c for c in DeliveryMode.choices if c[0] != DeliveryMode.BATCH],
    )
    row_scope = forms.CharField(
        label=gettext_lazy("Row scope (region code prefix)"), max_length=15, required=False
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )


@staff
def peers(request):
    rows = list(selectors.remote_requests_of(actor=request.user)[:200])
    if request.method == "POST" and request.POST.get("do") == "check":
        try:
            row = selectors.remote_request_get(actor=request.user, pk=request.POST.get("request", ""))
            services.remote_request_check(actor=request.user, request=row)
            messages.success(request, _("The other installation was asked for the request's state."))
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        return redirect("sharing:peers")
    return render(
        request,
        "sharing/peers.html",
        {
            "peers": list(selectors.peers()),
            "requests": rows,
            "may_request": can(request.user, "sharing.request"),
        },
    )


@staff
def peer_detail(request, installation: str):
    peer = selectors.peer_get(installation[:100])
    if peer is None:
        raise NotFound(_("no trusted installation %s") % installation[:100])
    sources, problem = [], ""
    try:
        sources = services.peer_catalogue(actor=request.user, installation=peer.installation)
    except ZhengtongError as exc:
        problem = exc.message
    chosen = next((s for s in sources if str(s.get("id")) == request.GET.get("source", "")), None)
    form = None
    if chosen is not None:
        choices = [
            (f["name"], f"{f.get('title') or f['name']} ({f['name']}, {f.get('grade', '')})")
            for f in chosen["fields"]
        ]
        form = RemoteRequestForm(request.POST if request.method == "POST" else None, prefix="r")
        form.fields["fields_"].choices = choices
        form.initial["valid_until"] = timezone.localdate() + dt.timedelta(days=365)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.remote_request_create(
                    actor=request.user,
                    installation=peer.installation,
                    profile=int(chosen["id"]),
                    fields=data["fields_"],
                    purpose=data["purpose"],
                    legal_basis=data["legal_basis"],
                    row_scope=data["row_scope"],
                    mode=data["mode"],
                    valid_until=data["valid_until"],
                )
                messages.success(request, _("Request sent to the other installation."))
                return redirect("sharing:peer_detail", peer.installation)
            except ZhengtongError as exc:
                apply_domain_error(form, exc, field_names={"fields": "fields_"})
    return render(
        request,
        "sharing/peer_detail.html",
        {
            "peer": peer,
            "sources": sources,
            "problem": problem,
            "chosen": chosen,
            "form": form,
            "requests": list(selectors.remote_requests_of(actor=request.user).filter(peer=peer)[:200]),
        },
    )
