"""The one way to serve a hot, stateless JSON path as its own WSGI application, without the
portal's middleware and routing (a reverse proxy sends only that path to it): the codes module's
verification service (``codes/wsgi_verify.py``) and the public 办件查询 (``services/wsgi_track.py``).

``respond`` writes a JSON answer with the API's headers; ``error`` the API's error shape
(``{"error": {"code", "message", "details"}}``, ``Retry-After`` on a 429), so a client cannot
tell the lean service from the portal's API. ``activate_language`` picks the answer's language
from ``Accept-Language`` as the portal's locale middleware does.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from zhengtong.core.errors import ZhengtongError, retry_after_header

REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    400: "Bad Request",
    403: "Forbidden",
    409: "Conflict",
}


def respond(start_response, status: int, body: Any, headers: dict[str, str] | None = None) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
    start_response(
        f"{status} {REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *(headers or {}).items(),
        ],
    )
    return [data]


def error(
    start_response,
    status: int,
    code: str,
    message: str,
    details: dict | None = None,
    headers: dict[str, str] | None = None,
) -> list[bytes]:
    return respond(
        start_response,
        status,
        {"error": {"code": code, "message": message, "details": details or {}}},
        headers,
    )


def domain_error(start_response, exc: ZhengtongError) -> list[bytes]:
    """A domain error as the portal's API answers it (status, code, message, details, Retry-After)."""
    return error(start_response, exc.status, exc.code, exc.message, exc.details, retry_after_header(exc))


def activate_language(environ) -> None:
    """The answer's language from ``Accept-Language`` (the default language otherwise)."""
    header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    for lang, _q in translation.trans_real.parse_accept_lang_header(header):
        if lang == "*":
            break
        try:
            translation.activate(translation.get_supported_language_variant(lang))
            return
        except LookupError:
            continue
    from django.conf import settings

    translation.activate(settings.LANGUAGE_CODE)


def client_address(environ) -> str:
    """The client's address as the portal reads it behind trusted proxies (``client_ip``)."""
    from zhengtong.core.middleware import client_ip_from

    return client_ip_from(environ) or ""
