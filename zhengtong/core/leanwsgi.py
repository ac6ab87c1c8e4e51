"""The one mechanism for a lean JSON WSGI service: a hot machine endpoint served without Django's
request handling, middleware and routing, behind the same reverse proxy as the portal (which
sends only these paths to it). Used by the codes module's verification service
(``codes/wsgi_verify.py``), the sharing module's exchange service (``sharing/wsgi_exchange.py``)
and the public 办件查询 (``services/wsgi_track.py``).

``json_app(routes)`` builds the WSGI application: ``routes`` maps a path to a handler
``handler(body: dict, environ) -> (status, body[, headers])``; anything else is 404, a method
other than POST 405, a missing, oversized or non-JSON body 422. A ``ZhengtongError`` a handler
raises becomes the platform's error body with its HTTP status (and ``Retry-After`` for 429),
exactly as the ninja API answers it. Database connections are checked before and after each call
as Django's request signals would (``CONN_MAX_AGE``, broken connections).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.utils import translation

from zhengtong.core.errors import ZhengtongError, retry_after_header
from zhengtong.core.middleware import client_ip_from

Handler = Callable[[dict, dict], tuple]

_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]


def status_line(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def respond(
    start_response, status: int | str, body: Any, headers: dict[str, str] | None = None
) -> list[bytes]:
    # The API's encoder (ISO dates, decimals), so a client cannot tell the lean service from the API.
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode()
    start_response(
        status if isinstance(status, str) else status_line(status),
        [*_HEADERS, ("Content-Length", str(len(data))), *(headers or {}).items()],
    )
    return [data]


def error(
    start_response,
    status: int | str,
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


def error_from(start_response, exc: ZhengtongError) -> list[bytes]:
    """The platform's error answer for ``exc`` (its status, body and ``Retry-After``)."""
    return respond(start_response, exc.status, exc.as_body(), retry_after_header(exc))


def read_json(environ, max_body: int) -> tuple[Any, str]:
    """The request's JSON body and "" or (None, why it was refused)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= max_body:
        return None, "body missing or too large"
    try:
        return json.loads(environ["wsgi.input"].read(length)), ""
    except (ValueError, UnicodeDecodeError):
        return None, "body is not JSON"


def close_old_connections() -> None:
    """Django's ``close_old_connections`` (connections past ``CONN_MAX_AGE`` or broken), leaving
    alone a connection inside a transaction (a test's, when the app is called in-process)."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def bearer(environ) -> str:
    """The token of ``Authorization: Bearer <token>`` or ""."""
    value = environ.get("HTTP_AUTHORIZATION") or ""
    scheme, _sep, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def json_app(routes: dict[str, Handler], *, max_body: int = 16384, served: str = ""):
    """A WSGI application answering POST with a JSON object body on the paths of ``routes``."""
    served = served or ", ".join(f"POST {p}" for p in routes)

    def application(environ, start_response):
        handler = routes.get(environ.get("PATH_INFO") or "")
        if handler is None:
            return error(start_response, 404, "not_found", f"only {served} is served here")
        if environ.get("REQUEST_METHOD") != "POST":
            return error(start_response, 405, "method_not_allowed", "use POST")
        body, why = read_json(environ, max_body)
        if why:
            return error(start_response, 422, "validation_error", why)
        if not isinstance(body, dict):
            return error(start_response, 422, "validation_error", "the body must be a JSON object")
        # As Django does around each request: drop connections past CONN_MAX_AGE or broken.
        close_old_connections()
        try:
            answer = handler(body, environ)
        except ZhengtongError as exc:
            return error_from(start_response, exc)
        finally:
            close_old_connections()
        return respond(start_response, *answer)

    return application


def activate_language(environ) -> None:
    """The answer's language from ``Accept-Language``, as the portal's locale middleware picks it
    (the default language otherwise)."""
    for lang, _q in translation.trans_real.parse_accept_lang_header(environ.get("HTTP_ACCEPT_LANGUAGE", "")):
        if lang == "*":
            break
        try:
            translation.activate(translation.get_supported_language_variant(lang))
            return
        except LookupError:
            continue
    translation.activate(settings.LANGUAGE_CODE)


def client_address(environ) -> str:
    """The client's address as the portal reads it behind trusted proxies."""
    return client_ip_from(environ) or ""
