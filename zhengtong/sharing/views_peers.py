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
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.sharing import selectors, services
from zhengtong.sharing.models import DeliveryMode, SharingType
from zhengtong.sharing.workflows import GRANT_FLOW


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
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), widget=DateInput())


VERIFY_RESULTS = {
    "match": gettext_lazy("matches"),
    "no_match": gettext_lazy("does not match"),
    "not_found": gettext_lazy("no such record"),
}


class RemoteVerifyForm(forms.Form):
    """What the caller holds, one box per field of the kept verification grant, and the case it
    is checked for (X-Road-Issue); the answer is match / no match / not found per field."""

    on_behalf_of = forms.CharField(label=gettext_lazy("Case number"), max_length=64, required=False)

    def __init__(self, *args, names: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.names = names
        for name, title in names:
            self.fields[f"s_{name}"] = forms.CharField(label=title, max_length=200, required=False)
        self.order_fields([f"s_{name}" for name, _title in names])

    def clean(self):
        data = super().clean()
        data["subject"] = {
            n: data[f"s_{n}"].strip() for n, _t in self.names if data.get(f"s_{n}", "").strip()
        }
        if not data["subject"] and self.names:
            self.add_error(f"s_{self.names[0][0]}", _("give at least one value to verify"))
        return data


def _verify_form(request, peer, sources: list[dict]):
    """The verification form for the key our department keeps for ``peer``, its answer, or
    (None, None) when the department keeps none."""
    kept = services.remote_key(
        department=getattr(request.user, "department", None), installation=peer.installation
    )
    if kept is None:
        return None, None
    row = kept[0]
    source = next((s for s in sources if str(s.get("id")) == str(row.profile_ref)), {})
    titles = {f.get("name"): f.get("title") or f.get("name") for f in source.get("fields", [])}
    names = [(n, titles.get(n) or n) for n in row.fields]
    posted = request.method == "POST" and request.POST.get("do") == "verify"
    form = RemoteVerifyForm(request.POST if posted else None, names=names, prefix="v")
    answer = None
    if posted and form.is_valid():
        try:
            answer = services.remote_verify(
                actor=request.user,
                installation=peer.installation,
                subject=form.cleaned_data["subject"],
                on_behalf_of=form.cleaned_data["on_behalf_of"],
            )
        except ZhengtongError as exc:
            form.add_error(None, exc.message)
    if answer is not None:
        answer = {
            "code": answer.get("result"),
            "result": VERIFY_RESULTS.get(answer.get("result"), answer.get("result")),
            "fields": [
                (titles.get(n) or n, VERIFY_RESULTS.get(v, v))
                for n, v in (answer.get("fields") or {}).items()
            ],
            "receipt": (answer.get("receipt") or {}).get("payload", {}).get("id", ""),
        }
    return form, answer


def _labelled(rows: list) -> list:
    """Our requests with the other installation's grant state by name (a refusal with its reason)."""
    for row in rows:
        state, _sep, reason = row.grant_state.partition(": ")
        label = GRANT_FLOW.state_label(state) if state in GRANT_FLOW.states else state
        row.grant_state_label = f"{label}（{reason}）" if reason else label
    return rows


@staff
def peers(request):
    rows = _labelled(list(selectors.remote_requests_of(actor=request.user)[:200]))
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
    labels = dict(SharingType.choices)
    for source in sources:  # the type's name, not its code
        source["sharing_type_label"] = labels.get(source.get("sharing_type"), source.get("sharing_type", ""))
    chosen = next((s for s in sources if str(s.get("id")) == request.GET.get("source", "")), None)
    verify_form, verified = _verify_form(request, peer, sources)
    form = None
    if chosen is not None:
        choices = [
            (f["name"], f"{f.get('title') or f['name']} ({f['name']}, {f.get('grade', '')})")
            for f in chosen["fields"]
        ]
        asking = request.method == "POST" and request.POST.get("do") != "verify"
        form = RemoteRequestForm(request.POST if asking else None, prefix="r")
        form.fields["fields_"].choices = choices
        form.initial["valid_until"] = timezone.localdate() + dt.timedelta(days=365)
        if asking and form.is_valid():
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
            "verify_form": verify_form,
            "verified": verified,
            "requests": _labelled(
                list(selectors.remote_requests_of(actor=request.user).filter(peer=peer)[:200])
            ),
        },
    )
