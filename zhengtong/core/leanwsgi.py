"""The one mechanism for lean WSGI services, in two forms.

1. ``json_app``, a lean JSON WSGI service: a hot machine endpoint served without Django's
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

2. ``lean_application``: the same Django views behind a short middleware stack, for hot endpoints
that need Django's routing and views (the identity centre's OIDC endpoints, ``identity/wsgi_oidc.py``;
the open-data row API, ``catalog/wsgi_rows.py``; the workspace's messages,
``workspace/wsgi_messages.py``). Same answers, refusals, permission checks, rate limits and audit
events as the full application; only the middleware that browser pages need is left out. By
default the request's user is anonymous unless the view authenticates a bearer token or key from
the headers, and sessions are neither read nor saved (``NoSessionMiddleware``); a service that
serves signed-in staff passes its own ``middleware`` with ``sessions=True``. Paths a service does
not serve are a JSON 404. A service module calls ``django.setup()`` first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.log import log_response

from zhengtong.core import context
from zhengtong.core.errors import ZhengtongError, retry_after_header
from zhengtong.core.middleware import client_ip_from, request_begin, request_count

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


# Kept in the order of settings.MIDDLEWARE; NoSessionMiddleware comes last.
LEAN_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "zhengtong.core.middleware.RequestContextMiddleware",
)
NO_SESSION = "zhengtong.core.leanwsgi.NoSessionMiddleware"


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
    """Django's handler with ``middleware`` (those of ``settings.MIDDLEWARE`` it names, in the
    settings' order; ``replace`` maps one of them to a stand-in that does the same job more
    cheaply, in its place), then ``NoSessionMiddleware`` unless ``sessions``."""

    def __init__(
        self,
        middleware: Iterable[str] = LEAN_MIDDLEWARE,
        *,
        sessions: bool = False,
        urlconf: str | None = None,
        replace: dict[str, str] | None = None,
    ):
        self.lean_middleware = frozenset(middleware)
        self.sessions = sessions
        self.urlconf = urlconf
        self.replace = dict(replace or {})
        super().__init__()

    def get_response(self, request):
        # A service's own URLconf matches its hot paths before the site's (then includes it).
        if self.urlconf:
            request.urlconf = self.urlconf
        return super().get_response(request)

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [self.replace.get(m, m) for m in full if m in self.lean_middleware] + (
            [] if self.sessions else [NO_SESSION]
        )
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


# A fast path's handler: ``handler(request) -> (status, body bytes, headers) | None`` (None: not
# answered, Django's handler answers the request instead).
FastHandler = Callable[[WSGIRequest], "tuple[int, bytes, list[tuple[str, str]]] | None"]
SECURITY = "django.middleware.security.SecurityMiddleware"
REQUEST_CONTEXT = "zhengtong.core.middleware.RequestContextMiddleware"


class _Logged:
    """What ``django.utils.log.log_response`` reads of a response."""

    def __init__(self, status_code: int):
        self.status_code = status_code


class FastPaths:
    """GET requests on a few hot paths answered without Django's request handling, middleware
    and URL resolving, by a handler that calls the same function as the path's view (so the same
    checks and the same answer); everything else falls through to Django (``__call__`` answers
    None): another method, a cookie, a script name, an HTTPS redirect, a handler that answers
    None, and any exception (Django then answers it as it answers any error: its logging, its
    page). What the lean stack's middleware does is done by the same code: the request context,
    X-Request-ID and the request count (``core.middleware.request_begin`` / ``request_count``),
    SecurityMiddleware's redirect check and headers (its own methods), Django's warning for a
    refused request (``log_response``); connections past
    ``CONN_MAX_AGE`` or broken are closed around a request (``close_old_connections``, as
    ``json_app`` does, what Django's request signals do for the database: sending the signals cost
    a fifth of a fast userinfo). The request is Django's ``WSGIRequest`` (same host validation,
    scheme and headers)."""

    def __init__(self, routes: dict[str, FastHandler], middleware: Iterable[str] = LEAN_MIDDLEWARE):
        unknown = set(middleware) - {SECURITY, REQUEST_CONTEXT}
        if unknown:
            raise ValueError(f"a fast path cannot stand in for {sorted(unknown)}")
        self.routes = dict(routes)
        self.security = SecurityMiddleware(lambda request: None) if SECURITY in middleware else None
        self.context = REQUEST_CONTEXT in middleware
        self._security_headers: dict[bool, list[tuple[str, str]]] = {}

    def security_headers(self, request) -> list[tuple[str, str]]:
        """The headers SecurityMiddleware adds to an answer: its own ``process_response`` run once
        on an empty response per value of ``request.is_secure()`` (the only thing of the request
        it reads; the rest is settings)."""
        if self.security is None:
            return []
        secure = request.is_secure()
        found = self._security_headers.get(secure)
        if found is None:
            probe = self.security.process_response(request, HttpResponse())
            found = self._security_headers[secure] = [
                (k, v) for k, v in probe.items() if k.lower() != "content-type"
            ]
        return found

    def __call__(self, environ, start_response) -> list[bytes] | None:
        handler = self.routes.get(environ.get("PATH_INFO", ""))
        if (
            handler is None
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("HTTP_COOKIE")
            or environ.get("SCRIPT_NAME")
            or settings.FORCE_SCRIPT_NAME
        ):
            return None
        # A copy: a request that falls through reaches Django's handler as it came.
        request = WSGIRequest(dict(environ))
        if self.security is not None and self.security.process_request(request) is not None:
            return None  # an HTTPS redirect: Django's answer
        close_old_connections()
        try:
            token, channel = request_begin(request) if self.context else (None, "")
            try:
                answer = handler(request)
            except Exception:  # noqa: BLE001 - Django answers it (see the class's docstring)
                answer = None
            finally:
                if token is not None:
                    context.deactivate(token)
            if answer is None:
                return None
            status, body, headers = answer
            if status >= 400:  # Django's warning for a refused request, by Django's function
                log_response(
                    "%s: %s",
                    HTTPStatus(status).phrase,
                    request.path,
                    response=_Logged(status),
                    request=request,
                )
            headers = [*headers, ("Content-Length", str(len(body)))]
            if self.context:
                headers.append(("X-Request-ID", request.request_id))
                request_count(channel, status)
            start_response(status_line(status), [*headers, *self.security_headers(request)])
            return [body]
        finally:
            close_old_connections()


def lean_application(
    *, paths: Iterable[str] = (), prefixes: Iterable[str] = (), match: Callable[[str], bool] | None = None,
    not_found: Callable | None = None, middleware: Iterable[str] = LEAN_MIDDLEWARE, sessions: bool = False,
    urlconf: str | None = None, replace: dict[str, str] | None = None, fast: dict[str, FastHandler] | None = None,
) -> Callable:  # fmt: skip
    """A WSGI application serving the given exact ``paths``, ``prefixes`` (or paths ``match``
    accepts) through ``LeanHandler(middleware, sessions=..., urlconf=..., replace=...)``; anything else gets ``not_found``
    (a JSON 404 in the platform's error shape unless the caller's API has its own). ``fast`` maps
    some of the paths to a handler answering their GET requests without Django (``FastPaths``);
    what it does not answer goes to Django."""
    exact, starts = frozenset(paths), tuple(prefixes)
    django_app = LeanHandler(middleware, sessions=sessions, urlconf=urlconf, replace=replace)
    refuse = not_found or not_found_json(
        {"error": {"code": "not_found", "message": "not served here", "details": {}}}
    )

    # The fast paths stand in for the middleware the handler would run (as LeanHandler picks it).
    running = [(replace or {}).get(m, m) for m in middleware if m in settings.MIDDLEWARE]
    fast_paths = FastPaths(fast, running) if fast else None

    def application(environ, start_response):
        if fast_paths is not None:
            answered = fast_paths(environ, start_response)
            if answered is not None:
                return answered
        path = environ.get("PATH_INFO", "")
        if path in exact or (starts and path.startswith(starts)) or (match is not None and match(path)):
            return django_app(environ, start_response)
        return refuse(environ, start_response)

    return application
