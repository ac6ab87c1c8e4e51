"""A dedicated service for the identity centre's machine endpoints, deployed like the codes
module's verification service (``codes/wsgi_verify.py``): its own WSGI application, the reverse
proxy sending only these paths to it:

    gunicorn zhengtong.identity.wsgi_oidc:application -w 3 -k gthread --threads 4 --keep-alive 30 \
        --reuse-port

    /oidc/token  /oidc/userinfo  /oidc/introspect  /oidc/revoke  (and /api/v1/ for bearer calls)

The same Django views (same answers, refusals, rate limits and audit events) behind the lean
middleware stack of ``core.leanwsgi``: no session, CSRF, messages, preferences, language,
second-factor, axes or clickjacking middleware, which only browser pages need (these endpoints
take no cookies and are CSRF-exempt; the API answers bearer tokens). Anything else is a 404 here.
gthread workers keep the proxy's (or a client's) connections open between requests; a sync worker
closes each, which cost about three times the CPU per userinfo in the bench. A kept-alive
connection stays with the worker that accepted it: ``--reuse-port`` gives every worker its own
socket, so the kernel spreads new connections over the workers (from one shared socket one worker
often took all of them, and the service ran on one core; docs/identity.md, "Performance").

The two hottest calls, ``GET /oidc/userinfo`` and ``GET /api/v1/me`` with a bearer token, take a
fast path (``core.leanwsgi.FastPaths``): no Django handler, middleware or URL resolving, but the
same functions as their views (``views.oidc.userinfo_answer``; the API's own ``BearerAuth`` and
``accounts.api.me_out``), so the same checks and the same answer. ``/api/v1/me`` is answered
there only when the bearer check accepts the token: a refusal (or a session, or any other case)
is Django's, which renders the API's error.
"""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402

from zhengtong.accounts.api import me_out  # noqa: E402
from zhengtong.api import BearerAuth  # noqa: E402
from zhengtong.api import api as platform_api  # noqa: E402
from zhengtong.core.leanwsgi import (  # noqa: E402
    LEAN_MIDDLEWARE,
    LeanHandler,
    NoSessionMiddleware,
    lean_application,
    not_found_json,
)
from zhengtong.identity.views.oidc import userinfo_answer  # noqa: E402

URLCONF = "zhengtong.identity.urls_machine"
PATHS = ("/oidc/token", "/oidc/userinfo", "/oidc/introspect", "/oidc/revoke")
PREFIXES = ("/api/v1/",)


def userinfo(request):
    """``GET /oidc/userinfo``: the view's answer (``userinfo_answer``), encoded as its
    ``JsonResponse`` encodes it."""
    status, body, headers = userinfo_answer(request)
    data = json.dumps(body, cls=DjangoJSONEncoder).encode()
    return status, data, [("Content-Type", "application/json"), *headers.items()]


_bearer = BearerAuth()
_API_CONTENT_TYPE = f"{platform_api.renderer.media_type}; charset={platform_api.renderer.charset}"


def api_me(request):
    """``GET /api/v1/me`` with a bearer token the API's bearer check accepts (API token or OIDC
    access token): ``accounts.api.me_out``, rendered by the API's renderer. Anything else
    (no bearer, a refusal, which raises) is left to Django and the API's error handlers."""
    user = _bearer(request)
    if not user:
        return None
    data = platform_api.renderer.render(request, me_out(user).model_dump(), response_status=200)
    return 200, data.encode(), [("Content-Type", _API_CONTENT_TYPE)]


FAST = {"/oidc/userinfo": userinfo, "/api/v1/me": api_me}

__all__ = ["LEAN_MIDDLEWARE", "PATHS", "PREFIXES", "LeanHandler", "NoSessionMiddleware", "application"]

application = lean_application(
    paths=PATHS,
    prefixes=PREFIXES,
    not_found=not_found_json({"error": "not_found", "error_description": "not served here"}),
    urlconf=URLCONF,
    fast=FAST,
)
