"""Lean WSGI services: the same Django views behind a short middleware stack, for hot machine
endpoints the reverse proxy sends to their own processes (the identity centre's OIDC endpoints,
``identity/wsgi_oidc.py``; the open-data row API, ``catalog/wsgi_rows.py``).

Same answers, refusals, permission checks, rate limits (``core.ratelimit``) and audit events as
the full application: only the middleware that browser pages need is left out (sessions, CSRF,
messages, preferences, language, second factor, axes, clickjacking, compression). The request's
user is anonymous unless the view itself authenticates a bearer token or key from the headers;
sessions are neither read nor saved. Paths a service does not serve are a JSON 404.

A service module calls ``django.setup()`` first, then ``lean_application(...)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIHandler

# Kept in the order of settings.MIDDLEWARE; NoSessionMiddleware comes last.
LEAN_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "zhengtong.core.middleware.RequestContextMiddleware",
)
NO_SESSION = "zhengtong.core.wsgi_lean.NoSessionMiddleware"


class _NoSession(dict):
    """An empty session nobody saves: the lean services take no cookies."""

    session_key = None
    modified = False

    def cycle_key(self) -> None:
        pass

    def flush(self) -> None:
        self.clear()


class NoSessionMiddleware:
    """``request.user`` is anonymous and ``request.session`` empty: what code shared with the
    pages reads, without the session and authentication middleware's work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = AnonymousUser()
        request.session = _NoSession()
        return self.get_response(request)


class LeanHandler(WSGIHandler):
    """Django's handler with ``LEAN_MIDDLEWARE`` (those of ``settings.MIDDLEWARE``, in its order)
    and ``NoSessionMiddleware``."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [m for m in full if m in LEAN_MIDDLEWARE] + [NO_SESSION]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def not_found_json(body: dict) -> Callable:
    data = json.dumps(body, ensure_ascii=False).encode()

    def respond(environ, start_response) -> list[bytes]:
        start_response(
            "404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    return respond


def lean_application(
    *, paths: Iterable[str] = (), prefixes: Iterable[str] = (), match: Callable[[str], bool] | None = None,
    not_found: Callable | None = None,
) -> Callable:  # fmt: skip
    """A WSGI application serving the given exact ``paths``, ``prefixes`` (or paths ``match``
    accepts) through ``LeanHandler``; anything else gets ``not_found`` (a JSON 404)."""
    exact, starts = frozenset(paths), tuple(prefixes)
    django_app = LeanHandler()
    refuse = not_found or not_found_json({"error": "not_found", "message": "not served here"})

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in exact or (starts and path.startswith(starts)) or (match is not None and match(path)):
            return django_app(environ, start_response)
        return refuse(environ, start_response)

    return application
