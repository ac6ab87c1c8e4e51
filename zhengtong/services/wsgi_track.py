"""The public 办件查询 as a dedicated service, deployed like the codes module's verification
service (``core.leanwsgi``): the same ``GET /api/v1/services/track`` (same query, same JSON,
same rate limits and refusals) without the portal's middleware, routing and schema layers, the
reverse proxy sending only this path to it:

    gunicorn zhengtong.services.wsgi_track:application -w 2 -k gthread --threads 4

A look-up is one indexed query by case number (with its joins) and one of the case's timeline;
the check value is compared in constant time; the limits are ``core.ratelimit``'s counters in
the shared cache (Redis in production). It writes nothing but the limiter's counters.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from zhengtong.core.errors import ZhengtongError  # noqa: E402
from zhengtong.core.leanwsgi import (  # noqa: E402
    activate_language,
    client_address,
    close_old_connections,
    error,
    error_from,
    respond,
)
from zhengtong.services import progress  # noqa: E402

PATH = "/api/v1/services/track"


def application(environ, start_response):
    if environ.get("PATH_INFO") != PATH:
        return error(start_response, 404, "not_found", f"only GET {PATH} is served here")
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return error(start_response, 405, "method_not_allowed", "use GET")
    try:
        query = parse_qs(environ.get("QUERY_STRING", ""), max_num_fields=10)
    except ValueError:
        return error(start_response, 422, "validation_error", "too many query parameters")
    activate_language(environ)
    # What Django's request signals do for this service, without sending them (their dispatch was
    # a tenth of a look-up's CPU): connections past CONN_MAX_AGE or broken are closed around a
    # request, as ``core.leanwsgi.json_app`` does. (The other receivers have nothing to do here:
    # query logging is off without DEBUG, the Redis cache has nothing to close, no URLconf is set.)
    close_old_connections()
    try:
        result = progress.case_track(
            number=(query.get("number") or [""])[0],
            check=(query.get("check") or [""])[0],
            client=client_address(environ) or "",
        )
        return respond(start_response, 200, progress.track_payload(result))
    except ZhengtongError as exc:
        return error_from(start_response, exc)
    finally:
        close_old_connections()
