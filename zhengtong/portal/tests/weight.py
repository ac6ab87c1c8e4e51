"""What a page's first load transfers when compressed as the demo serves it.

The test server serves files uncompressed from the apps (``ZHENGTONG_ENV=test``); the demo and
production send pages gzip-compressed (``HTML_GZIP`` or the proxy) and static files as the ``.gz``
copies WhiteNoise makes. ``transferred(paths)`` fetches each path the browser loaded (the page
itself, then what ``performance`` lists) and adds up their gzip sizes (level 9, as WhiteNoise).
"""

from __future__ import annotations

import gzip

from django.contrib.staticfiles import finders
from django.test import Client

HEADERS = 300  # bytes of response headers per request, roughly


def transferred(paths: list[str], *, user=None) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    total = 0
    for path in paths:
        if path.startswith("/static/"):
            found = finders.find(path.removeprefix("/static/"))
            assert found, path
            with open(found, "rb") as fh:
                body = fh.read()
        else:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            body = b"".join(response) if response.streaming else response.content
        total += len(gzip.compress(body, compresslevel=9)) + HEADERS
    return total
