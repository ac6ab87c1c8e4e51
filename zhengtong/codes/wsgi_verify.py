"""A dedicated verification service: the same ``POST /api/v1/codes/verify`` (same JSON in and
out, same rate limit, same aggregate counts) without the portal's middleware and routing.

Verification is the hot, stateless path (a city's checkpoints scan millions of codes a day), so
it can be deployed on its own, with the reverse proxy sending only this path to it:

    granian --interface wsgi --http 1 --no-ws --workers 3 --blocking-threads 4 \
        --host 127.0.0.1 --port 8001 zhengtong.codes.wsgi_verify:application

(granian, a Rust HTTP server, spent about a third less CPU per verification than gunicorn's
gthread workers in ``bench/codes.py``, which runs both; ``gunicorn ... -k gthread --threads 4
--reuse-port`` serves it too.)

It reads keys from the database (cached for 30 s) and writes only counts. The request handling
is the one lean JSON WSGI mechanism, ``zhengtong.core.leanwsgi``.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from django.conf import settings  # noqa: E402

from zhengtong.codes import services  # noqa: E402
from zhengtong.core import leanwsgi  # noqa: E402
from zhengtong.core.errors import ValidationError  # noqa: E402

PATH = "/api/v1/codes/verify"
MAX_BODY = 16384


def verify(body: dict, environ) -> tuple:
    code, purpose = body.get("code"), body.get("purpose")
    if not isinstance(code, str) or len(code) > 8192:
        raise ValidationError(fields={"code": ["a string of at most 8192 characters is required"]})
    if purpose is not None and not isinstance(purpose, str):
        raise ValidationError(fields={"purpose": ["must be a string"]})
    services.rate_limit(environ.get("REMOTE_ADDR") or "-", per_minute=settings.CODES_VERIFY_RATE_PER_MINUTE)
    return 200, services.verify_code(code, purpose=purpose).as_dict()


application = leanwsgi.json_app({PATH: verify}, max_body=MAX_BODY)
