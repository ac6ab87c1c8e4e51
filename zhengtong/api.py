"""The platform's REST API at /api/v1 (django-ninja, OpenAPI 3).

Authentication: ``Authorization: Bearer <token>`` for API clients, the session (with CSRF) for
browsers. Every operation declares its access policy: the default is "authenticated", and the few
public operations say ``auth=None`` and are listed in PUBLIC_OPERATIONS (a test checks both).
Errors always have the body {"error": {"code", "message", "details"}}.
"""

from __future__ import annotations

from importlib import import_module

from django.db import DataError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from zhengtong.accounts.services import api_token_authenticate
from zhengtong.core import hooks
from zhengtong.core.errors import ValidationError, ZhengtongError, retry_after_header


class BearerAuth(HttpBearer):
    openapi_description = "API token: `Authorization: Bearer zt_…` (create one under My account)."

    def authenticate(self, request, token):
        user = api_token_authenticate(token, method=request.method)
        request.user = user
        return user


class SignedInSessionAuth(SessionAuth):
    """The browser session. The CSRF check guards a signed-in session; a request without one is
    simply not authenticated (401 ``authentication_required``), never 403 "CSRF check Failed"."""

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


NUL_MESSAGE = "must not contain a NUL character"


def _nul_field(value, path: str = "") -> str | None:
    """The first field (dotted path) of a parsed body whose text holds a NUL character, or None.
    PostgreSQL cannot store NUL in text, and no field of ours has a use for one."""
    if isinstance(value, str):
        return (path or "(body)") if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path or "(body)"
        found = _nul_field(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


class ObjectBodyParser(Parser):
    """Every JSON body is an object of named fields: an array or a scalar is refused (it would
    otherwise stand for "all defaults"), and so is nesting too deep to read; no text in a body
    or a query string may hold a NUL character (a field error names it)."""

    def parse_body(self, request):
        try:
            data = super().parse_body(request)
        except RecursionError:
            raise _body_error("the request body is nested too deeply") from None
        if not isinstance(data, dict):
            raise _body_error("the request body must be a JSON object")
        field = _nul_field(data)
        if field:
            raise ValidationError(f"{field}: {NUL_MESSAGE}", fields={field: [NUL_MESSAGE]})
        return data

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            # Only text: uploaded files are form values too, and must not be read here.
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                raise ValidationError(f"{key}: {NUL_MESSAGE}", fields={key: [NUL_MESSAGE]})
        return super().parse_querydict(data, list_fields, request)


def _body_error(message: str) -> ValidationError:
    return ValidationError(message, fields={"(body)": [message]})


api = NinjaAPI(
    title="Zhengtong API",
    version="1",
    description='Zhengtong 政通 platform API. Errors: {"error": {"code", "message", "details"}}. '
    "Lists use keyset pagination: pass the `next` cursor back as `cursor`.",
    urls_namespace="api",
    auth=[BearerAuth(), SignedInSessionAuth()],
    parser=ObjectBodyParser(),
    docs_url="/docs",
)

# Operations anyone may call, without logging in (checked by a test: every other operation has auth).
PUBLIC_OPERATIONS = {
    "accounts_org_units_tree",
    "accounts_org_unit_detail",
    "accounts_org_unit_subtree",
    "accounts_departments",
    "core_calendar_deadline",
    "core_health",
}


def _error(request, status: int, code: str, message: str, details: dict | None = None):
    return api.create_response(
        request, {"error": {"code": code, "message": message, "details": details or {}}}, status=status
    )


@api.exception_handler(ZhengtongError)
def on_domain_error(request, exc: ZhengtongError):
    response = _error(request, exc.status, exc.code, exc.message, exc.details)
    for header, value in retry_after_header(exc).items():
        response[header] = value
    return response


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [
            str(p)
            for p in err.get("loc", [])
            if p not in ("body", "query", "path", "form", "payload", "file")
        ]
        fields.setdefault(".".join(loc) or "(body)", []).append(err.get("msg", "invalid"))
    message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    return _error(request, 422, "validation_error", message, {"fields": fields})


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(
        request, 401, "authentication_required", "log in, or send a valid Authorization: Bearer token"
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", str(exc) or "not found")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400 and isinstance(exc.__cause__, ZhengtongError):
        return on_domain_error(request, exc.__cause__)  # ObjectBodyParser's refusal, wrapped by ninja
    if exc.status_code == 400:
        # ninja's only 400 is a body it cannot parse (malformed JSON): bad input like any other, 422.
        message = "the request body is not valid JSON"
        return _error(request, 422, "validation_error", message, {"fields": {"(body)": [message]}})
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(ValueError)
def on_value_error(request, exc: ValueError):
    # A NUL character that reached the database some other way (a path parameter): PostgreSQL's
    # driver refuses it before the query runs. Bad input, not a server error; anything else is one.
    if "NUL" in str(exc):
        return _error(request, 422, "validation_error", NUL_MESSAGE, {"fields": {"(path)": [NUL_MESSAGE]}})
    raise exc


RANGE_MESSAGE = "a number in the request is out of range (integers are 64-bit)"


@api.exception_handler(OverflowError)
def on_overflow(request, exc: OverflowError):
    # An id or number beyond 64 bits in a path or query parameter: SQLite's driver cannot bind it.
    return _error(
        request, 422, "validation_error", RANGE_MESSAGE, {"fields": {"(parameters)": [RANGE_MESSAGE]}}
    )


@api.exception_handler(DataError)
def on_data_error(request, exc: DataError):
    # The same on PostgreSQL ("integer out of range", "value too long"): bad input, not a server error.
    message = str(exc).splitlines()[0] if exc.args else RANGE_MESSAGE
    if "out of range" in message or "too long" in message:
        return _error(
            request, 422, "validation_error", RANGE_MESSAGE, {"fields": {"(parameters)": [message]}}
        )
    raise exc


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request, exc: MultiPartParserError):
    # e.g. a multipart Content-Type without a boundary: the body cannot be read, like bad JSON.
    message = "the request body is not valid multipart/form-data"
    return _error(request, 422, "validation_error", message, {"fields": {"(body)": [message]}})


def _register_routers() -> None:
    """Mount each app's ``router`` (in ``<app>/api.py``) at /api/v1<api_prefix>, the prefix its
    AppConfig declares; each may declare the operation ids anyone may call in its module-level
    PUBLIC_OPERATIONS."""
    for config, prefix in hooks.app_attributes("api_prefix"):
        mod = import_module(f"{config.name}.api")
        api.add_router(prefix, mod.router)
        PUBLIC_OPERATIONS.update(getattr(mod, "PUBLIC_OPERATIONS", ()))


_register_routers()
