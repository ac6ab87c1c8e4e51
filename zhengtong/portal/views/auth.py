"""Login (with optional TOTP step), logout, and the language / elder-mode switches."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhengtong.accounts import signin
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import user_register_citizen, user_update_preferences
from zhengtong.audit import services as audit
from zhengtong.core.access import public
from zhengtong.core.errors import Conflict, RateLimited, ValidationError, retry_after_header
from zhengtong.core.forms import apply_domain_error
from zhengtong.identity import services as identity_services
from zhengtong.portal.middleware import ELDER_COOKIE


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
    )

    def mark_failed(self) -> None:
        """After a refused sign-in both fields are invalid and point at the form's error message
        (``form-errors`` in portal/partials/form.html); the page focuses the first of them."""
        for field in self.fields.values():
            field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": "form-errors"})


class OtpForm(forms.Form):
    otp = forms.CharField(label=_("6-digit code from your authenticator app"), max_length=8, min_length=6)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _home_of(user: Any) -> str:
    """The page a person lands on after signing in: a grid worker's workbench, the staff console,
    or the account page."""
    if user.kind == UserKind.GRID_WORKER:
        return "grid:workbench"
    return "portal:console" if user.is_staff_member else "portal:account"


def _signed_in(request, user: Any):
    """Where a completed sign-in goes: ``next`` (same site) or the user's home page."""
    response = redirect(_safe_next(request, reverse(_home_of(user))))
    if user.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, user.language, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax"
        )
    return response


@public
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = signin.password_check(
            request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error(
                None,
                _(
                    "The username or password is wrong. After %(limit)d failed tries the account is locked "
                    "for %(minutes)d minutes."
                )
                % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": settings.AXES_COOLOFF_TIME.seconds // 60},
            )
            form.mark_failed()
        elif signin.sign_in(request=request, user=user):
            return _signed_in(request, user)
        else:
            return redirect(f"{reverse('portal:login_otp')}?{urlencode({'next': _safe_next(request, '')})}")
    return render(request, "portal/login.html", {"form": form, "next": _safe_next(request, "")})


@public
def admin_login(request, extra_context=None):
    """The Django admin's login (``admin.site.login``): the admin has no sign-in of its own, so
    no password-only session can start there; it sends people to the portal's login (with its
    second step) and back to ``next``."""
    target = _safe_next(request, reverse("admin:index"))
    if request.user.is_authenticated and admin.site.has_permission(request):
        return redirect(target)
    return redirect_to_login(target)


class RegisterForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("Letters, digits and @ . + - _ only.")
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=256)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=256)
    phone = forms.CharField(label=_("Mobile number (optional)"), max_length=20, required=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


@public
def register(request):
    """Citizen self-registration; real-name verification follows on the account page."""
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signin.registration_attempt(request=request)
        try:
            user = user_register_citizen(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                phone=form.cleaned_data["phone"],
            )
        except (ValidationError, Conflict) as exc:
            apply_domain_error(form, exc)
        else:
            signin.sign_in(request=request, user=user)
            return _signed_in(request, user)
    return render(request, "portal/register.html", {"form": form})


@public
def login_otp(request):
    """The second step of a sign-in: the code from the authenticator app."""
    if signin.pending_user(request) is None:
        return redirect("portal:login")
    form = OtpForm(request.POST or None)
    status, headers = 200, {}
    if request.method == "POST" and form.is_valid():
        try:
            user = signin.sign_in_second_factor(request=request, code=form.cleaned_data["otp"])
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = exc.status
            headers = retry_after_header(exc)
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            return _signed_in(request, user)
    response = render(
        request, "portal/login_otp.html", {"form": form, "next": _safe_next(request, "")}, status=status
    )
    for header, value in headers.items():
        response[header] = value
    return response


@public
@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(actor=request.user, action="accounts.logout", target=request.user)
        # Applications signed in through the identity centre in this session are told (OIDC
        # back-channel logout) and lose this session's tokens.
        identity_services.portal_signed_out(request=request)
    logout(request)
    return redirect("portal:home")


def lockout_response(request, credentials, *args, **kwargs):
    """django-axes calls this when a username+IP pair is locked out."""
    form = LoginForm(request.POST or None)
    form.is_valid()
    form.add_error(
        None,
        _("Too many failed logins: this account is locked for %(minutes)d minutes from this address.")
        % {"minutes": settings.AXES_COOLOFF_TIME.seconds // 60},
    )
    response = render(request, "portal/login.html", {"form": form, "next": ""}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@public
@require_POST
def preferences(request):
    """Switch language and elder-friendly mode; remembered in cookies (and the account when logged in)."""
    response = HttpResponseRedirect(_safe_next(request, reverse("portal:home")))
    language = request.POST.get("language")
    elder = request.POST.get("elder_mode")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax"
        )
    if elder in {"0", "1"}:
        response.set_cookie(ELDER_COOKIE, elder, max_age=365 * 24 * 3600, samesite="Lax")
    if request.user.is_authenticated and (language in dict(settings.LANGUAGES) or elder in {"0", "1"}):
        user_update_preferences(
            actor=request.user,
            language=language if language in dict(settings.LANGUAGES) else None,
            elder_mode=(elder == "1") if elder in {"0", "1"} else None,
        )
    return response
