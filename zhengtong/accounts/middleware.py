"""Sessions that skipped the second factor are signed out before any view runs; the session's
user for hot services, from a short per-process cache."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from zhengtong.accounts import signin
from zhengtong.accounts.permissions import SESSION_USERS_CACHE, grants_of
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


def _load(user_id: Any, backend_path: str) -> Any:
    """The user as Django's session authentication loads it (None: gone or inactive), with its
    role grants read once."""
    user = auth.load_backend(backend_path).get_user(user_id)
    if user is not None:
        grants_of(user)  # kept on the object (``_zt_grants``), so cached with it
    return user


def session_user(request) -> Any:
    """``request.user`` as ``django.contrib.auth.get_user`` gives it, the user and their grants
    kept in this process for ``ACCOUNTS_SESSION_USER_CACHE_SECONDS``. A cached copy is used only
    when the session's hash matches it exactly; anything else (no copy, a password changed since,
    a rotated secret key) takes Django's own path, which flushes a session that no longer holds."""
    session = request.session
    try:
        user_id = auth._get_user_session_key(request)
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    seconds = settings.ACCOUNTS_SESSION_USER_CACHE_SECONDS
    if seconds:
        found = cache.cached(
            SESSION_USERS_CACHE,
            f"{backend_path}:{user_id}",
            lambda: _load(user_id, backend_path),
            seconds,
            local=True,
            shared=False,  # in this process only: model instances with their grants
        )
        session_hash = session.get(HASH_SESSION_KEY)
        if found is None:
            return AnonymousUser()  # gone or inactive (at most that long ago)
        if session_hash and constant_time_compare(session_hash, found.get_session_auth_hash()):
            # A copy per request: views may set attributes on their user.
            return copy.copy(found)
    user = auth.get_user(request)
    if user.is_authenticated:
        grants_of(user)
    return user


class CachedAuthenticationMiddleware:
    """``AuthenticationMiddleware`` for the lean services' hot paths (``core.leanwsgi``, e.g.
    ``workspace/wsgi_messages.py``): the same ``request.user``, without the user and grant
    queries on every request (``session_user``). A revoked grant reaches it at once in this
    process and within ``CACHE_LOCAL_REVALIDATE_SECONDS`` in others (``forget_grants``
    invalidates the cache); other changes to the user (deactivated, TOTP turned on) within
    ``ACCOUNTS_SESSION_USER_CACHE_SECONDS``; a changed password at once (the session's hash)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: session_user(request))
        return self.get_response(request)
