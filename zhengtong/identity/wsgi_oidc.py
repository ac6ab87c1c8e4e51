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
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from zhengtong.core.leanwsgi import (  # noqa: E402
    LEAN_MIDDLEWARE,
    LeanHandler,
    NoSessionMiddleware,
    lean_application,
    not_found_json,
)

URLCONF = "zhengtong.identity.urls_machine"
PATHS = ("/oidc/token", "/oidc/userinfo", "/oidc/introspect", "/oidc/revoke")
PREFIXES = ("/api/v1/",)

__all__ = ["LEAN_MIDDLEWARE", "PATHS", "PREFIXES", "LeanHandler", "NoSessionMiddleware", "application"]

application = lean_application(
    paths=PATHS,
    prefixes=PREFIXES,
    not_found=not_found_json({"error": "not_found", "error_description": "not served here"}),
    urlconf=URLCONF,
)
