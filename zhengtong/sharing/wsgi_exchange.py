"""A dedicated exchange service: the same ``POST /api/v1/sharing/exchange/verify`` and
``/exchange/rows`` (same JSON in and out, same checks, refusals, rate limits, log rows and
signed receipts: both call ``services.exchange_call``) without the portal's middleware, routing
and schema layer. Deployed like the codes module's verification service, through the one lean
JSON WSGI mechanism (``zhengtong.core.leanwsgi``), the reverse proxy sending only these paths here:

    granian --interface wsgi --http 1 --no-ws --workers 2 --blocking-threads 16 \
        zhengtong.sharing.wsgi_exchange:application

(or ``gunicorn ... -w 2 -k gthread --threads 8``: the same app, about 0.5 ms more CPU per call).
Sixteen threads a worker rather than eight: a call waits for its log row's group commit while
holding its thread, and more waiting calls per commit measured 845–1,005/s against 652–659/s.
The service reads only the request's own environ keys (granian copies the process environment into
every request's environ). Threads matter: each process's exchange-log writer commits the rows of all calls waiting in it
with one ``COPY`` (group commit, ``services/exchange_log.py``), and answers each call after its
row is committed.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from django.utils import translation  # noqa: E402

from zhengtong.core import leanwsgi  # noqa: E402
from zhengtong.core.errors import AuthenticationRequired, ValidationError  # noqa: E402
from zhengtong.sharing import services  # noqa: E402

VERIFY = "/api/v1/sharing/exchange/verify"
ROWS = "/api/v1/sharing/exchange/rows"


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationError(fields={name: [f"a string of at most {limit} characters"]})
    return value


def _secret(environ) -> str:
    token = leanwsgi.bearer(environ)
    if not token or len(token) > 4000 or not (token.startswith("zts_") or token.count(".") == 2):
        raise AuthenticationRequired("send Authorization: Bearer zts_…")
    return token


def _call(mode: str, body: dict, environ) -> tuple:
    # Messages in the installation's language, as the API answers without Accept-Language.
    with translation.override(None):
        return 200, services.exchange_call(
            secret=_secret(environ), mode=mode, body=body, client=environ.get("REMOTE_ADDR") or ""
        )


def verify(body: dict, environ) -> tuple:
    """The body as the API's ``SharingVerifyIn`` gives it (same hash in the log)."""
    subject = body.get("subject")
    if (
        not isinstance(subject, dict)
        or len(subject) > 20
        or not all(isinstance(v, str) for v in subject.values())
    ):
        raise ValidationError(fields={"subject": ["an object of at most 20 text values"]})
    clean = {
        "subject": subject,
        "on_behalf_of": _text(body, "on_behalf_of", 64),
        "end_user": _text(body, "end_user", 100),
    }
    return _call("verification", clean, environ)


def rows(body: dict, environ) -> tuple:
    """The body as the API's ``RowsIn`` gives it (same hash in the log)."""
    fields = body.get("fields") or []
    filters = body.get("filters") or []
    if not isinstance(fields, list) or len(fields) > 200 or not all(isinstance(f, str) for f in fields):
        raise ValidationError(fields={"fields": ["a list of at most 200 field names"]})
    if not isinstance(filters, list) or len(filters) > 20:
        raise ValidationError(fields={"filters": ["a list of at most 20 filters"]})
    clean_filters = []
    for item in filters:
        if not isinstance(item, dict) or not isinstance(item.get("field"), str) or len(item["field"]) > 100:
            raise ValidationError(fields={"filters": ["each filter is {field, op, value}"]})
        op = item.get("op", "eq")
        if not isinstance(op, str) or len(op) > 12:
            raise ValidationError(fields={"filters": ["op: a string of at most 12 characters"]})
        clean_filters.append({"field": item["field"], "op": op, "value": item.get("value")})
    limit = body.get("limit", 50)
    after = body.get("after")
    if after is not None and (not isinstance(after, str) or len(after) > 2000):
        raise ValidationError(fields={"after": ["a cursor a previous page returned"]})
    clean = {
        "fields": fields,
        "filters": clean_filters,
        "limit": limit,
        "after": after,
        "on_behalf_of": _text(body, "on_behalf_of", 64),
        "end_user": _text(body, "end_user", 100),
    }
    return _call("interface", clean, environ)


application = leanwsgi.json_app({VERIFY: verify, ROWS: rows})
