"""Sessions that skipped the second factor are signed out before any view runs; the session's
user for hot services, from a short per-process cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import signin
from zhengtong.accounts.permissions import grants_of
from zhengtong.core import cache


class SecondFactorMiddleware:
    """After ``AuthenticationMiddleware``: a session whose user has TOTP on but which never passed
    ``signin.sign_in_second_factor`` (a ``login()`` outside ``accounts.signin``, a session from
    before TOTP was turned on) is flushed, so the request continues as anonymous."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if signin.second_factor_missing(request):
            logout(request)
        return self.get_response(request)


def session_user(request) -> Any:
    """``request.user`` as ``django.contrib.auth.get_user`` gives it, from the person's record kept
    per process (``selectors.user_cached``: ``ACCOUNTS_USER_CACHE_SECONDS``, dropped by every save
    of the person or of their grants) and their grants kept with it. The copy is used only when
    the session's hash matches it exactly; anything else (nothing cached, a password changed, a
    rotated secret key, another backend) takes Django's own path, which flushes a session that no
    longer holds."""
    session = request.session
    try:
        user_id = int(auth._get_user_session_key(request))
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = auth.load_backend(backend_path)
    user = account_selectors.user_cached(user_id) if settings.ACCOUNTS_USER_CACHE_SECONDS else None
    session_hash = session.get(HASH_SESSION_KEY)
    if (
        user is not None
        and isinstance(backend, ModelBackend)
        and backend.user_can_authenticate(user)
        and session_hash
        and constant_time_compare(session_hash, user.get_session_auth_hash())
    ):
        user._zt_grants = cache.cached(
            account_selectors.user_namespace(user_id),
            "session_grants",
            lambda: grants_of(account_selectors.user_cached(user_id)),
            settings.ACCOUNTS_USER_CACHE_SECONDS,
            local=True,
            shared=False,
        )
        return user
    return auth.get_user(request)


class CachedAuthenticationMiddleware:
    """``AuthenticationMiddleware`` for the lean services' hot paths (``core.leanwsgi``, e.g.
    ``workspace/wsgi_messages.py``): the same ``request.user``, without the user and grant
    queries on every request (``session_user``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: session_user(request))
        return self.get_response(request)
