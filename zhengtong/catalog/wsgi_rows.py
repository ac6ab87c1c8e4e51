"""A dedicated service for the open-data row API, deployed like the identity centre's OIDC
service (``core.leanwsgi``): its own WSGI application, the reverse proxy sending only the
read-only row endpoints to it:

    gunicorn zhengtong.catalog.wsgi_rows:application -w 2 --threads 4

    /data/<name>.json  /data/<name>/<version>.json           (Datasette table JSON)
    /api/3/action/datastore_search  /api/action/datastore_search  (CKAN DataStore)

The same views (same rows, counts, errors, visibility and grade rules: only open datasets to
anonymous callers, keys and tokens from the headers; the catalogue's per-key and per-address
rate limits through ``core.ratelimit``; usage counts) behind the lean middleware stack: no
session, CSRF, messages, preferences, language, second-factor, axes or clickjacking middleware.
A signed-in browser's session is not read here, so the portal's own pages keep calling the full
application. Anything else is a 404 here.
"""

from __future__ import annotations

import os
import re

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from zhengtong.core.leanwsgi import lean_application, not_found_json  # noqa: E402

PATHS = ("/api/3/action/datastore_search", "/api/action/datastore_search")
DATASETTE_JSON = re.compile(r"^/data/[-a-zA-Z0-9_]+(?:/\d+)?\.json$")

application = lean_application(
    paths=PATHS,
    match=DATASETTE_JSON.match,
    not_found=not_found_json({"ok": False, "error": "not served here", "status": 404, "title": "Not found"}),
)
