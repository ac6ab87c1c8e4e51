"""The one authentication path: every way of starting a session goes through here.

A session is started in two steps when the user has two-step verification (TOTP) on:

1. the first factor is checked by the caller: ``password_check`` (the portal's login form, which
   the Django admin's login redirects to) or, for the coming OIDC provider and the like, whatever
   proves the identity upstream; then ``sign_in(request=..., user=...)``. Without TOTP that logs
   the user in; with TOTP it only remembers the user as *pending* in the session (not signed in:
   ``request.user`` stays anonymous, no page or API answers as them) and returns False;
2. ``sign_in_second_factor(request=..., code=...)`` checks the code (throttled per account on
   the shared rate limiter, replayed codes refused) and only then logs the user in.

A completed second step is recorded in the session (``SECOND_FACTOR_DONE`` = the user's id).
``SecondFactorMiddleware`` signs out any session whose user has TOTP on but whose session lacks
that mark, so a session started any other way (a direct ``login()`` call, a session from before
TOTP was turned on) never reaches a page, the API, or token creation.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors
from zhengtong.accounts.models import User
from zhengtong.accounts.services import totp_verify
from zhengtong.audit import services as audit
from zhengtong.core import ratelimit
from zhengtong.core.errors import AuthenticationRequired, ValidationError
from zhengtong.core.middleware import client_ip

PENDING_USER = "zt_pending_otp_user"
SECOND_FACTOR_DONE = "second_factor_done"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _address_limit(setting: int, window_seconds: int, message: str) -> dict:
    return {"limit": setting, "window_seconds": window_seconds, "message": message}


def password_check(*, request: HttpRequest, username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Goes through django-axes, which
    counts the failure per username + address and locks the pair after ``LOGIN_FAILURE_LIMIT``
    (its lockout response then answers the request); a failure is recorded in the audit trail.

    Failures are also counted per client address, whatever the usernames tried: past
    ``LOGIN_FAILURES_PER_ADDRESS`` in a ``LOGIN_COOLOFF_MINUTES`` window the address gets
    ``RateLimited`` (429) before any password is checked, so an anonymous flood cannot grow the
    audit trail without bound."""
    address = client_ip(request) or "unknown"
    throttle = _address_limit(
        settings.LOGIN_FAILURES_PER_ADDRESS,
        int(settings.AXES_COOLOFF_TIME.total_seconds()),
        _("Too many failed sign-ins from this address; try again later."),
    )
    ratelimit.check("accounts.signin_address", address, **throttle)
    user = authenticate(request, username=username, password=password)
    if user is None:
        ratelimit.hit("accounts.signin_address", address, **throttle)
        audit.record(
            actor=None,
            action="accounts.login_failed",
            target_type="accounts.user",
            target_id="",
            target_label=username,
        )
    return user


def registration_attempt(*, request: HttpRequest) -> None:
    """Count one self-registration from this request's address; ``RateLimited`` (429) past
    ``REGISTRATIONS_PER_ADDRESS_PER_HOUR``, so anonymous requests cannot create accounts
    without bound."""
    ratelimit.hit(
        "accounts.register",
        client_ip(request) or "unknown",
        **_address_limit(
            settings.REGISTRATIONS_PER_ADDRESS_PER_HOUR,
            3600,
            _("Too many accounts registered from this address; try again later."),
        ),
    )


def sign_in(*, request: HttpRequest, user: User) -> bool:
    """Sign ``user`` in on this request's session, once their first factor was checked.

    Returns True when the session is signed in. Returns False when the user has two-step
    verification on: the session then only holds the user as pending, and
    ``sign_in_second_factor`` must follow; until then the session is anonymous."""
    if user.totp_enabled:
        if request.user.is_authenticated:
            logout(request)  # a different account must not stay signed in behind the pending one
        request.session[PENDING_USER] = user.pk
        return False
    _complete(request, user, second_factor=False)
    return True


def pending_user(request: HttpRequest) -> User | None:
    """The user whose password this session passed, waiting for their code (None if none)."""
    return selectors.active_user(request.session.get(PENDING_USER))


def sign_in_second_factor(*, request: HttpRequest, code: str) -> User:
    """Finish a pending sign-in with the user's current TOTP code and return the user.

    Raises ``AuthenticationRequired`` when no sign-in is pending, ``RateLimited`` (429 with a
    retry delay) once the account has tried ``LOGIN_FAILURE_LIMIT`` codes within the
    ``LOGIN_COOLOFF_MINUTES`` window (only wrong codes count), and ``ValidationError`` (field ``otp``)
    for a wrong, expired or already used code. Nothing is signed in on any refusal."""
    user = pending_user(request)
    if user is None:
        raise AuthenticationRequired(_("sign in with your password first"))
    # Wrong codes are counted per account, not per address: whoever is here already has the
    # password. Only failures count, so signing in often never locks anyone out.
    throttle = {
        "limit": settings.AXES_FAILURE_LIMIT,
        "window_seconds": int(settings.AXES_COOLOFF_TIME.total_seconds()),
        "message": _("Too many codes tried for this account; try again later."),
    }
    ratelimit.check("accounts.totp", str(user.pk), **throttle)
    if not totp_verify(user=user, code=code):
        audit.record(actor=None, action="accounts.login_failed", target=user, note="second factor")
        ratelimit.hit("accounts.totp", str(user.pk), **throttle)
        raise ValidationError.for_field(
            "otp", _("The code is wrong, expired or already used; codes change every 30 seconds.")
        )
    del request.session[PENDING_USER]
    _complete(request, user, second_factor=True)
    return user


def second_factor_confirmed(*, request: HttpRequest, user: User) -> None:
    """Mark the signed-in session as having passed the second factor: for the session in which
    the user just turned TOTP on with a code (their other sessions are signed out)."""
    request.session[SECOND_FACTOR_DONE] = user.pk


def second_factor_missing(request: HttpRequest) -> bool:
    """True when the session's user has TOTP on but this session never passed it."""
    user = request.user
    return bool(
        user.is_authenticated and user.totp_enabled and request.session.get(SECOND_FACTOR_DONE) != user.pk
    )


def _complete(request: HttpRequest, user: User, *, second_factor: bool) -> None:
    login(request, user, backend=BACKEND)
    if second_factor:
        request.session[SECOND_FACTOR_DONE] = user.pk
    audit.record(actor=user, action="accounts.login", target=user)
