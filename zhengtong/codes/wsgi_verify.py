"""A dedicated verification service: the same ``POST /api/v1/codes/verify`` (same JSON in and
out, same rate limit, same aggregate counts) without the portal's middleware and routing.

Verification is the hot, stateless path (a city's checkpoints scan millions of codes a day), so
it can be deployed on its own, with the reverse proxy sending only this path to it:

    gunicorn zhengtong.codes.wsgi_verify:application -w 2 -k gthread --threads 4

It reads keys from the database (cached for 30 s) and writes only counts.
"""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from django.conf import settings  # noqa: E402

from zhengtong.codes import services  # noqa: E402
from zhengtong.core.errors import RateLimited  # noqa: E402
from zhengtong.core.wsgi_lean import domain_error, error, respond  # noqa: E402

PATH = "/api/v1/codes/verify"
MAX_BODY = 16384


def application(environ, start_response):
    if environ.get("PATH_INFO") != PATH:
        return error(start_response, 404, "not_found", "only POST /api/v1/codes/verify is served here")
    if environ.get("REQUEST_METHOD") != "POST":
        return error(start_response, 405, "method_not_allowed", "use POST")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= MAX_BODY:
        return error(start_response, 422, "validation_error", "body missing or too large")
    try:
        body = json.loads(environ["wsgi.input"].read(length))
    except (ValueError, UnicodeDecodeError):
        return error(start_response, 422, "validation_error", "body is not JSON")
    code = body.get("code") if isinstance(body, dict) else None
    purpose = body.get("purpose") if isinstance(body, dict) else None
    if not isinstance(code, str) or len(code) > 8192:
        return error(
            start_response,
            422,
            "validation_error",
            "invalid input",
            {"fields": {"code": ["a string of at most 8192 characters is required"]}},
        )
    if purpose is not None and not isinstance(purpose, str):
        return error(
            start_response,
            422,
            "validation_error",
            "invalid input",
            {"fields": {"purpose": ["must be a string"]}},
        )
    try:
        services.rate_limit(
            environ.get("REMOTE_ADDR") or "-", per_minute=settings.CODES_VERIFY_RATE_PER_MINUTE
        )
    except RateLimited as exc:
        return domain_error(start_response, exc)
    return respond(start_response, 200, services.verify_code(code, purpose=purpose).as_dict())
