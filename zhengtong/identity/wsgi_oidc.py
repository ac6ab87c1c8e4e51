"""A dedicated service for the identity centre's machine endpoints, deployed like the codes
module's verification service (``codes/wsgi_verify.py``): its own WSGI application, the reverse
proxy sending only these paths to it:

    gunicorn zhengtong.identity.wsgi_oidc:application -w 3 -k sync

    /oidc/token  /oidc/userinfo  /oidc/introspect  /oidc/revoke  (and /api/v1/ for bearer calls)

The same Django views (same answers, refusals, rate limits and audit events) behind a lean
middleware stack: no session, CSRF, messages, preferences, language, second-factor, axes or
clickjacking middleware, which only browser pages need (these endpoints take no cookies and are
CSRF-exempt; the API answers bearer tokens). Anything else is a 404 here.
"""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

URLCONF = "zhengtong.identity.urls_machine"
PATHS = ("/oidc/token", "/oidc/userinfo", "/oidc/introspect", "/oidc/revoke")
PREFIXES = ("/api/v1/",)
LEAN_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "zhengtong.core.middleware.RequestContextMiddleware",
    "zhengtong.identity.wsgi_oidc.NoSessionMiddleware",
)


class _NoSession(dict):
    """An empty session nobody saves: the machine endpoints take no cookies."""

    session_key = None
    modified = False

    def cycle_key(self) -> None:
        pass

    def flush(self) -> None:
        self.clear()


class NoSessionMiddleware:
    """``request.user`` is anonymous and ``request.session`` empty: what code shared with the
    pages reads, without the session and authentication middleware's work. The URLconf matches
    the machine endpoints first (``urls_machine``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = AnonymousUser()
        request.session = _NoSession()
        request.urlconf = URLCONF
        return self.get_response(request)


class LeanHandler(WSGIHandler):
    """Django's handler with ``LEAN_MIDDLEWARE`` (kept in the order of ``settings.MIDDLEWARE``)."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [m for m in full if m in LEAN_MIDDLEWARE] + [LEAN_MIDDLEWARE[-1]]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


_django = LeanHandler()


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path in PATHS or path.startswith(PREFIXES):
        return _django(environ, start_response)
    body = json.dumps({"error": "not_found", "error_description": "not served here"}).encode()
    start_response(
        "404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
