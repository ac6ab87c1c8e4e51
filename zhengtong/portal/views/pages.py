"""Home, my account, and the staff console landing."""

from __future__ import annotations

import datetime as dt
import io

import segno
from django import forms
from django.contrib import messages
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts import signin
from zhengtong.accounts.kinds import CredentialKind, UserKind
from zhengtong.accounts.permissions import can
from zhengtong.accounts.roles import PERMISSIONS, ROLES
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.masking import mask_resident_id
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry import services as registry_services

TOTP_PENDING = "zt_totp_secret"


MODULES = [
    {
        "key": "account",
        "title": gettext_lazy("My account and e-licences"),
        "text": gettext_lazy(
            "Your verified identity, the e-licences government holds for you, corrections of your data."
        ),
        "url": "portal:account",
        "ready": True,
    },
    {
        "key": "console",
        "title": gettext_lazy("Staff console"),
        "text": gettext_lazy(
            "Your org scope, departments, registry look-ups, correction requests and the audit trail."
        ),
        "url": "portal:console",
        "ready": True,
    },
    {
        "key": "workorders",
        "title": gettext_lazy("Consultations and complaints (12345)"),
        "text": gettext_lazy("Ask a question, make a suggestion or a complaint, and follow the reply."),
        "url": "workorders:submit",
        "ready": True,
    },
    {
        "key": "api",
        "title": gettext_lazy("Developer API"),
        "text": gettext_lazy("REST API with OpenAPI documentation and personal API tokens."),
        "url": "api:openapi-view",
        "ready": True,
    },
    {
        "key": "services",
        "title": gettext_lazy("One-stop services (一网通办)"),
        "text": gettext_lazy("Apply online with forms filled from what government already holds."),
        "url": "services:catalogue",
        "ready": True,
    },
    {
        "key": "data",
        "title": gettext_lazy("Public data platform"),
        "text": gettext_lazy("The catalogue of government data, shared and opened by grade."),
        "url": "catalog:portal",
        "ready": True,
    },
    {
        "key": "grid",
        "title": gettext_lazy("Grassroots grid governance"),
        "text": gettext_lazy("Field reporting, dispatch and disposal of events."),
        "url": "grid:workbench",
        "ready": True,
    },
    {
        "key": "codes",
        "title": gettext_lazy("One map, one code, one index"),
        "text": gettext_lazy("Rule-based status codes verifiable in every region; the risk map."),
        "url": "codes:risk_map",
        "ready": True,
    },
    {
        "key": "cockpit",
        "title": gettext_lazy("Cockpit"),
        "text": gettext_lazy("Leaders' dashboards and performance evaluation."),
        "ready": False,
    },
]


@public
def home(request):
    stats = {
        "org_units": account_selectors.org_unit_count(),
        **registry_selectors.registry_totals(),
    }
    return render(request, "portal/home.html", {"modules": MODULES, "stats": stats})


class RealNameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    resident_id = forms.CharField(label=gettext_lazy("Resident ID number"), max_length=18, min_length=18)


class EnterpriseForm(forms.Form):
    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=18, min_length=18)


class AuthorizeForm(forms.Form):
    """The legal representative's grant of an authorisation (授权) to act for their entity."""

    entity = forms.TypedChoiceField(label=gettext_lazy("Legal entity"), coerce=int)
    grantee = forms.CharField(label=gettext_lazy("Username of the person to authorise"), max_length=150)
    scope = forms.CharField(
        label=gettext_lazy("Service item codes (comma-separated; empty: all items)"),
        max_length=2000,
        required=False,
    )
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=1098, initial=365
    )

    def __init__(self, *args, entities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [(e.pk, f"{e.name} ({e.uscc})") for e in entities]


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=gettext_lazy("Which item is wrong"))
    requested_value = forms.CharField(label=gettext_lazy("Correct value"), max_length=200)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = choices


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Token name"), max_length=100)
    write = forms.BooleanField(label=gettext_lazy("Allow changes (write scope)"), required=False)
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1, max_value=366, initial=90)


class OtpForm(forms.Form):
    otp = forms.CharField(label=gettext_lazy("6-digit code"), max_length=8, min_length=6)


def _correction_choices(user):
    return registry_selectors.correctable_fields(entity=user.kind != UserKind.CITIZEN)


@authenticated
def account(request):
    user = request.user
    real_name_form = RealNameForm(prefix="rn")
    enterprise_form = EnterpriseForm(prefix="ent")
    correction_form = CorrectionForm(prefix="cor", choices=_correction_choices(user))
    token_form = TokenForm(prefix="tok")
    represented = list(registry_selectors.entities_represented_by(user))
    authorize_form = AuthorizeForm(prefix="auth", entities=represented)
    new_token = request.session.pop("zt_new_token", None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "real_name":
                real_name_form = RealNameForm(request.POST, prefix="rn")
                if real_name_form.is_valid():
                    registry_services.citizen_verify_real_name(actor=user, **real_name_form.cleaned_data)
                    messages.success(request, _("Your identity is verified."))
                    return redirect("portal:account")
            elif action == "enterprise":
                enterprise_form = EnterpriseForm(request.POST, prefix="ent")
                if enterprise_form.is_valid():
                    entity = registry_services.enterprise_link(
                        actor=user, uscc=enterprise_form.cleaned_data["uscc"]
                    )
                    messages.success(request, _("You now act for %s.") % entity.name)
                    return redirect("portal:account")
            elif action == "authorize":
                authorize_form = AuthorizeForm(request.POST, prefix="auth", entities=represented)
                if authorize_form.is_valid():
                    _authorize(user, represented, authorize_form)
                    messages.success(request, _("The authorisation was granted."))
                    return redirect("portal:account")
            elif action == "authorization_revoke":
                auth = registry_selectors.authorization_of(user, request.POST.get("authorization", ""))
                registry_services.entity_authorization_revoke(actor=user, authorization=auth)
                messages.success(request, _("The authorisation was revoked."))
                return redirect("portal:account")
            elif action == "correction":
                correction_form = CorrectionForm(
                    request.POST, prefix="cor", choices=_correction_choices(user)
                )
                if correction_form.is_valid():
                    registry_services.correction_submit(actor=user, **correction_form.cleaned_data)
                    messages.success(request, _("Your correction request was submitted."))
                    return redirect("portal:account")
            elif action == "token":
                token_form = TokenForm(request.POST, prefix="tok")
                if token_form.is_valid():
                    scopes = ["read", "write"] if token_form.cleaned_data["write"] else ["read"]
                    _row, token = account_services.api_token_create(
                        actor=user,
                        name=token_form.cleaned_data["name"],
                        scopes=scopes,
                        days=token_form.cleaned_data["days"],
                    )
                    request.session["zt_new_token"] = token
                    return redirect("portal:account")
        except (PermissionDenied, Conflict) as exc:
            # Refusals of the enterprise link and of a grant show on their form; others are 403s.
            if action not in ("enterprise", "authorize"):
                raise
            apply_domain_error(enterprise_form if action == "enterprise" else authorize_form, exc)
        except ValidationError as exc:
            form = {
                "real_name": real_name_form,
                "enterprise": enterprise_form,
                "authorize": authorize_form,
                "correction": correction_form,
                "token": token_form,
            }[action]
            apply_domain_error(form, exc)
    person = registry_selectors.my_person(user)
    ctx = {
        "user_obj": user,
        "resident_id_masked": mask_resident_id(user.resident_id),
        "person": person,
        "entity": registry_selectors.my_legal_entity(user),
        "linked_entity": registry_selectors.linked_legal_entity(user),
        "represented": represented,
        "granted_authorizations": registry_selectors.authorizations_granted_for(user)[:50]
        if represented
        else [],
        "held_authorizations": registry_selectors.authorizations_held_by(user)[:50],
        "authorize_form": authorize_form,
        "now": timezone.now(),
        "licences": registry_selectors.my_licences(user),
        "corrections": registry_selectors.my_corrections(user),
        "grants": account_selectors.user_grants(user),
        "tokens": account_selectors.credentials_of(owner=user, kind=CredentialKind.API_TOKEN)[:20],
        "new_token": new_token,
        "real_name_form": real_name_form,
        "enterprise_form": enterprise_form,
        "correction_form": correction_form,
        "token_form": token_form,
        "roles": ROLES,
        "permissions": PERMISSIONS,
    }
    return render(request, "portal/account.html", ctx)


def _authorize(user, represented, form: AuthorizeForm) -> None:
    """Grant from the account page: the grantee named by username (a real-name account)."""
    data = form.cleaned_data
    entity = next(e for e in represented if e.pk == data["entity"])
    grantee = account_selectors.user_with_username(data["grantee"].strip())
    if grantee is None:
        raise ValidationError.for_field("grantee", _("authorise a real-name verified account only"))
    registry_services.entity_authorize(
        actor=user,
        entity=entity,
        grantee=grantee,
        scope=[c for c in data["scope"].replace("，", ",").split(",") if c.strip()],
        valid_until=timezone.now() + dt.timedelta(days=data["days"]),
    )


@authenticated
@require_POST
def token_revoke(request, token_id: int):
    token = account_selectors.credential_of(owner=request.user, kind=CredentialKind.API_TOKEN, pk=token_id)
    account_services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("portal:account")


@authenticated
def totp_setup(request):
    """Two-step verification: show a QR code of a new secret, confirm with a code."""
    user = request.user
    form = OtpForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "disable":
        try:
            account_services.totp_disable(actor=user, code=request.POST.get("otp", ""))
            messages.success(request, _("Two-step verification is off."))
            return redirect("portal:account")
        except ValidationError as exc:
            apply_domain_error(form, exc)
    elif request.method == "POST" and form.is_valid():
        secret = request.session.get(TOTP_PENDING, "")
        try:
            account_services.totp_enable(actor=user, secret=secret, code=form.cleaned_data["otp"])
            signin.second_factor_confirmed(request=request, user=user)
            request.session.pop(TOTP_PENDING, None)
            messages.success(request, _("Two-step verification is on."))
            return redirect("portal:account")
        except ValidationError as exc:
            apply_domain_error(form, exc)
    svg = ""
    if not user.totp_enabled:
        secret = request.session.get(TOTP_PENDING)
        if not secret or request.method == "GET":
            secret, uri = account_services.totp_provisioning(actor=user)
            request.session[TOTP_PENDING] = secret
        else:
            uri = account_services.totp_uri(user=user, secret=secret)
        buffer = io.BytesIO()
        segno.make(uri, error="m").save(
            buffer, kind="svg", scale=5, title=_("QR code for your authenticator app")
        )
        svg = buffer.getvalue().decode()
    return render(
        request,
        "portal/totp.html",
        {"form": form, "qr_svg": svg, "secret": request.session.get(TOTP_PENDING, "")},
    )


@staff
def console(request):
    user = request.user
    scope_units = account_selectors.user_scope_units(user)
    departments = []
    for unit in scope_units[:10]:
        departments.extend(account_selectors.departments_in(unit, subtree=False))
    counts = {}
    chart = []
    if can(user, "registry.view"):
        counts, chart = registry_selectors.registry_counts_for(user)
    corrections = None
    if can(user, "registry.handle_correction"):
        corrections = registry_selectors.correction_counts_for(user)
    ctx = {
        "scope_units": scope_units,
        "departments": departments,
        "grants": account_selectors.user_grants(user),
        "counts": counts,
        "chart": chart,
        "corrections": corrections,
        "can_audit": can(user, "audit.view"),
        "can_registry": can(user, "registry.view"),
        "can_import": can(user, "registry.import"),
        "can_corrections": can(user, "registry.handle_correction"),
    }
    return render(request, "portal/console.html", ctx)


@public
def favicon(request):
    """Browsers that ask for /favicon.ico get the site icon (pages also link it)."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))
