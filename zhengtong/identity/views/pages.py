"""Pages: 我的授权 (the person's consents, revocable) and the client registry for administrators."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.access import authenticated, staff
from zhengtong.core.errors import Conflict, ZhengtongError
from zhengtong.core.forms import apply_domain_error
from zhengtong.identity import claims, selectors, services
from zhengtong.identity.models import ClientType, SubjectType
from zhengtong.identity.services.clients import GRANT_TYPES, SCOPE_CHOICES

PERMISSION = "identity.manage_clients"


@authenticated
def my_authorizations(request):
    """我的授权: every application the person allowed, what it may know, and a revoke button."""
    rows = [
        {"consent": c, "scopes": [(s, claims.SCOPES.get(s, s)) for s in c.scopes]}
        for c in selectors.consents_of(request.user)
    ]
    return render(request, "identity/my_authorizations.html", {"rows": rows})


@authenticated
@require_POST
def consent_revoke(request, consent_id: int):
    try:
        consent = services.consent_revoke(actor=request.user, consent_id=consent_id)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(client)s can no longer sign you in or read your data.") % {"client": consent.client.name},
        )
    return redirect("identity:my_authorizations")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ClientForm(forms.Form):
    client_id = forms.SlugField(label=gettext_lazy("Client ID"), max_length=64)
    name = forms.CharField(label=pgettext_lazy("oidc client", "Name"), max_length=100)
    org_unit = forms.CharField(label=gettext_lazy("Org unit code"), max_length=20)
    department = forms.CharField(
        label=gettext_lazy("Department code (optional)"), max_length=40, required=False
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose (shown on the consent page)"), max_length=300)
    logo_url = forms.URLField(
        label=gettext_lazy("Logo URL (optional)"), required=False, assume_scheme="https"
    )
    client_type = forms.ChoiceField(label=pgettext_lazy("oidc client", "Type"), choices=ClientType.choices)
    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URIs (one per line, matched exactly)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    post_logout_redirect_uris = forms.CharField(
        label=gettext_lazy("Post-logout redirect URIs (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    backchannel_logout_uri = forms.URLField(
        label=gettext_lazy("Back-channel logout URI (optional)"), required=False, assume_scheme="https"
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed scopes"),
        choices=[(s, s) for s in SCOPE_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )
    grant_types = forms.MultipleChoiceField(
        label=gettext_lazy("Grant types"),
        choices=[(g, g) for g in GRANT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    sector = forms.CharField(
        label=gettext_lazy("Sector (clients of one sector share pairwise identifiers)"), max_length=100
    )
    subject_type = forms.ChoiceField(label=gettext_lazy("Subject identifiers"), choices=SubjectType.choices)
    public_sub_reason = forms.CharField(
        label=gettext_lazy("Reason for public identifiers"), max_length=300, required=False
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis for the full ID number"), max_length=300, required=False
    )
    id_token_alg = forms.ChoiceField(
        label=gettext_lazy("ID token algorithm"), choices=[("RS256", "RS256"), ("ES256", "ES256")]
    )


@staff
def clients(request):
    """The client registry: the clients of the org units where the actor manages clients, and a
    form to register one."""
    form = ClientForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = account_selectors.org_unit_by_code(data["org_unit"])
        department = (
            account_selectors.department_by_code(data["org_unit"], data["department"])
            if data["department"]
            else None
        )
        if unit is None:
            form.add_error("org_unit", _("no org unit with this code"))
        elif data["department"] and department is None:
            form.add_error("department", _("no department with this code in the org unit"))
        else:
            try:
                client, secret = services.client_create(
                    actor=request.user,
                    client_id=data["client_id"],
                    name=data["name"],
                    org_unit=unit,
                    department=department,
                    purpose=data["purpose"],
                    logo_url=data["logo_url"],
                    client_type=data["client_type"],
                    redirect_uris=_lines(data["redirect_uris"]),
                    post_logout_redirect_uris=_lines(data["post_logout_redirect_uris"]),
                    backchannel_logout_uri=data["backchannel_logout_uri"],
                    scopes=data["scopes"],
                    grant_types=data["grant_types"],
                    sector=data["sector"],
                    subject_type=data["subject_type"],
                    public_sub_reason=data["public_sub_reason"],
                    legal_basis=data["legal_basis"],
                    id_token_alg=data["id_token_alg"],
                )
            except ZhengtongError as exc:
                apply_domain_error(form, exc)
            else:
                created = {"client": client, "secret": secret}
                form = ClientForm()
    return render(
        request,
        "identity/clients.html",
        {
            "clients": selectors.clients_for(request.user),
            "form": form,
            "created": created,
            "can_manage": bool(account_selectors.user_scope_units(request.user, PERMISSION)),
        },
    )


@staff
@require_POST
def client_action(request, pk: int):
    """Disable or enable a client, rotate its secret, or issue a scoped data API key."""
    client = selectors.client_get_for(request.user, pk)
    action = request.POST.get("action", "")
    shown = None
    try:
        if action == "disable":
            services.client_disable(actor=request.user, client=client)
            messages.success(
                request, _("%(client)s is disabled; its tokens are revoked.") % {"client": client.name}
            )
        elif action == "enable":
            services.client_enable(actor=request.user, client=client)
            messages.success(request, _("%(client)s is enabled.") % {"client": client.name})
        elif action == "rotate":
            shown = services.client_secret_rotate(actor=request.user, client=client)
        elif action == "data_key":
            _row, shown = services.data_key_issue(
                actor=request.user, client=client, scopes=request.POST.get("scopes", "").split(), days=90
            )
        else:
            messages.error(request, _("Unknown action."))
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    if shown:
        return render(
            request, "identity/secret_shown.html", {"client": client, "secret": shown, "action": action}
        )
    return redirect("identity:clients")


class ClientEditForm(forms.Form):
    """What changes often, in one step: the exact redirect URIs, the allowed scopes, and disabling."""

    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URIs (one per line, matched exactly)"),
        help_text=gettext_lazy(
            "https, or http only for 127.0.0.1, localhost or ::1; no fragment or wildcard."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed scopes"),
        choices=[(s, s) for s in SCOPE_CHOICES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    disabled = forms.BooleanField(
        label=gettext_lazy("Disabled (revokes every live token at once)"), required=False
    )


@staff
def client_edit(request, pk: int):
    """Edit a client's redirect URIs and scopes, or disable it, in one form."""
    client = selectors.client_get_for(request.user, pk)
    initial = {
        "redirect_uris": "\n".join(client.redirect_uris),
        "scopes": client.scopes,
        "disabled": not client.enabled,
    }
    form = ClientEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.client_update(
                actor=request.user,
                client=client,
                redirect_uris=_lines(data["redirect_uris"]),
                scopes=data["scopes"],
                enabled=not data["disabled"],
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(client)s is saved.") % {"client": client.name})
            return redirect("identity:clients")
    return render(request, "identity/client_edit.html", {"client": client, "form": form})
