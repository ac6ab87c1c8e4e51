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
from zhengtong.core.errors import RateLimited, retry_after_header  # noqa: E402

PATH = "/api/v1/codes/verify"
MAX_BODY = 16384


def _respond(start_response, status: str, body: dict, headers: dict[str, str] | None = None) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *(headers or {}).items(),
        ],
    )
    return [data]


def _error(
    start_response,
    status: str,
    code: str,
    message: str,
    details: dict | None = None,
    headers: dict[str, str] | None = None,
) -> list[bytes]:
    return _respond(
        start_response,
        status,
        {"error": {"code": code, "message": message, "details": details or {}}},
        headers,
    )


def application(environ, start_response):
    if environ.get("PATH_INFO") != PATH:
        return _error(
            start_response, "404 Not Found", "not_found", "only POST /api/v1/codes/verify is served here"
        )
    if environ.get("REQUEST_METHOD") != "POST":
        return _error(start_response, "405 Method Not Allowed", "method_not_allowed", "use POST")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= MAX_BODY:
        return _error(
            start_response, "422 Unprocessable Entity", "validation_error", "body missing or too large"
        )
    try:
        body = json.loads(environ["wsgi.input"].read(length))
    except (ValueError, UnicodeDecodeError):
        return _error(start_response, "422 Unprocessable Entity", "validation_error", "body is not JSON")
    code = body.get("code") if isinstance(body, dict) else None
    purpose = body.get("purpose") if isinstance(body, dict) else None
    if not isinstance(code, str) or len(code) > 8192:
        return _error(
            start_response,
            "422 Unprocessable Entity",
            "validation_error",
            "invalid input",
            {"fields": {"code": ["a string of at most 8192 characters is required"]}},
        )
    if purpose is not None and not isinstance(purpose, str):
        return _error(
            start_response,
            "422 Unprocessable Entity",
            "validation_error",
            "invalid input",
            {"fields": {"purpose": ["must be a string"]}},
        )
    try:
        services.rate_limit(
            environ.get("REMOTE_ADDR") or "-", per_minute=settings.CODES_VERIFY_RATE_PER_MINUTE
        )
    except RateLimited as exc:
        return _error(
            start_response,
            "429 Too Many Requests",
            exc.code,
            exc.message,
            exc.details,
            retry_after_header(exc),
        )
    return _respond(start_response, "200 OK", services.verify_code(code, purpose=purpose).as_dict())
