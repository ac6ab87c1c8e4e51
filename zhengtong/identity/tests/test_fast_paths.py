"""The lean service's fast path (``wsgi_oidc.FAST``, ``core.leanwsgi.FastPaths``) answers
``GET /oidc/userinfo`` and ``GET /api/v1/me`` exactly as the same service's Django path does:
same status, headers and body, for good tokens and every refusal; what it does not answer falls
through to Django."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client

from zhengtong.core import ratelimit
from zhengtong.core.leanwsgi import LEAN_MIDDLEWARE, FastPaths, lean_application
from zhengtong.core.middleware import REQUEST_COUNT_SCOPE, request_count_key
from zhengtong.identity import selectors, services, wsgi_oidc
from zhengtong.identity.tests.conftest import basic, make_client
from zhengtong.identity.tests.test_bearer_and_pairwise import _tokens

# The same service without its fast paths: every request through Django's handler.
DJANGO = lean_application(
    paths=wsgi_oidc.PATHS,
    prefixes=wsgi_oidc.PREFIXES,
    not_found=lambda environ, start_response: [],
    urlconf=wsgi_oidc.URLCONF,
)
FAST = FastPaths(wsgi_oidc.FAST, LEAN_MIDDLEWARE)
# Set per answer by transport (gunicorn sends a body without it chunked) or by request.
VARYING = {"content-length"}


def _environ(path, authorization=None, method="GET", **extra):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "testserver", "HTTP_X_REQUEST_ID": "fast-path-test-1",
        "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    environ.update(extra)
    return environ


def _call(app, environ):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    # As Django's test client does: the request signals must not close the test's connection
    # (Django's handler is called directly here; the client reconnects them after each request).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = app(environ, start_response)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    if body is None:
        return None
    headers = {k.lower(): v for k, v in seen["headers"]}
    return seen["status"], {k: v for k, v in headers.items() if k not in VARYING}, b"".join(body)


def _same(path, authorization, *, fast_answers=True, **extra):
    """The fast path's answer (or, when it does not answer, the service's) equals Django's."""
    fast = _call(FAST, _environ(path, authorization, **extra))
    assert (fast is not None) is fast_answers
    if fast is None:
        fast = _call(wsgi_oidc.application, _environ(path, authorization, **extra))
    django = _call(DJANGO, _environ(path, authorization, **extra))
    assert fast == django
    return fast[0], fast[1], json.loads(fast[2])


@pytest.fixture
def api_token(signed_in, admin, world):
    make_client(admin, world, "dept-app", scopes=["openid", "profile", "api:read"], secret="s-dept")
    access = _tokens(signed_in, "dept-app", "s-dept", "openid profile api:read")["access_token"]
    signed_in.logout()
    return access


def test_a_good_token_is_answered_by_the_fast_path_as_by_django(api_token, world):
    status, headers, body = _same("/oidc/userinfo", f"Bearer {api_token}")
    assert status == "200 OK" and body["name"] and body["sub"]
    assert headers["x-request-id"] == "fast-path-test-1" and headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff" and headers["content-type"] == "application/json"
    status, headers, body = _same("/api/v1/me", f"Bearer {api_token}")
    assert status == "200 OK" and body["username"] == world.citizen.username
    assert headers["content-type"] == "application/json; charset=utf-8"


def test_refusals_are_the_same_with_their_challenge(tokens, api_token, rp, admin, monkeypatch):
    for authorization in (None, "Basic eDp5", "Bearer", "Bearer abc", f"Bearer {api_token[:-4]}AAAA"):
        status, headers, body = _same("/oidc/userinfo", authorization)
        assert status == "401 Unauthorized" and headers["www-authenticate"].startswith("Bearer")
        assert body["error"] in ("invalid_request", "invalid_token")
    # a client-credentials token acts for no person: no openid claims to release
    response = Client().post(
        "/oidc/token", {"grant_type": "client_credentials", "scope": "profile"}, **basic()
    )
    machine = response.json()["access_token"]
    status, headers, body = _same("/oidc/userinfo", f"Bearer {machine}")
    assert status == "403 Forbidden" and body["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in headers["www-authenticate"]
    # revoked
    access = tokens["access_token"]
    assert _same("/oidc/userinfo", f"Bearer {access}")[0] == "200 OK"
    assert Client().post("/oidc/revoke", {"token": access}, **basic()).status_code == 200
    status, _headers, body = _same("/oidc/userinfo", f"Bearer {access}")
    assert status == "401 Unauthorized" and body["error_description"] == "the token was revoked"
    # expired (the clock moved past exp)
    later = time.time() + 400 * 86400
    monkeypatch.setattr(selectors.time, "time", lambda: later)
    status, _headers, body = _same("/oidc/userinfo", f"Bearer {api_token}")
    assert status == "401 Unauthorized" and body["error_description"] == "the token has expired"


def test_the_api_refusals_fall_through_to_django(tokens, api_token, admin):
    # a token for the client's own audience, not the API's; no bearer; a malformed one
    for authorization in (f"Bearer {tokens['access_token']}", None, "Bearer x.y.z", "Token abc"):
        status, _headers, body = _same("/api/v1/me", authorization, fast_answers=False)
        assert status == "401 Unauthorized" and body["error"]["code"] in (
            "invalid_token",
            "authentication_required",
        )
    # the client disabled after the token was verified
    assert _same("/api/v1/me", f"Bearer {api_token}")[0] == "200 OK"
    services.client_disable(actor=admin, client=selectors.client_by_client_id("dept-app"))
    status, _headers, body = _same("/api/v1/me", f"Bearer {api_token}", fast_answers=False)
    assert status == "401 Unauthorized" and body["error"]["code"] == "invalid_token"
    status, _headers, body = _same("/oidc/userinfo", f"Bearer {api_token}")
    assert status == "401 Unauthorized" and body["error"] == "invalid_token"


def test_what_the_fast_path_does_not_serve_goes_to_django(api_token):
    auth = f"Bearer {api_token}"
    assert _call(FAST, _environ("/oidc/userinfo", auth, method="POST")) is None
    assert _call(FAST, _environ("/oidc/userinfo", auth, HTTP_COOKIE="sessionid=x")) is None
    assert _call(FAST, _environ("/oidc/userinfo", auth, SCRIPT_NAME="/id")) is None
    assert _call(FAST, _environ("/oidc/introspect", auth)) is None
    # a host Django refuses: its 400, not an answer of the fast path
    bad_host = _call(wsgi_oidc.application, _environ("/oidc/userinfo", auth, HTTP_HOST="evil.example"))
    assert bad_host[0].startswith("400")
    # POST userinfo through the service: Django's view, the same claims
    posted = _call(wsgi_oidc.application, _environ("/oidc/userinfo", auth, method="POST"))
    got = _call(FAST, _environ("/oidc/userinfo", auth))
    assert posted[0] == "200 OK" and json.loads(posted[2]) == json.loads(got[2])


def _web_2xx() -> int:
    ratelimit.tally_flush()
    key = request_count_key("web", 2)
    return sum(ratelimit.counts(REQUEST_COUNT_SCOPE, [key], window_seconds=3600, windows=1).values())


def test_the_fast_path_counts_its_answers(api_token):
    before = _web_2xx()
    assert _call(FAST, _environ("/oidc/userinfo", f"Bearer {api_token}"))[0] == "200 OK"
    assert _web_2xx() == before + 1


def test_a_fast_path_refuses_to_stand_in_for_other_middleware():
    with pytest.raises(ValueError):
        FastPaths(wsgi_oidc.FAST, [*LEAN_MIDDLEWARE, "django.contrib.sessions.middleware.SessionMiddleware"])


def test_a_refusal_is_logged_as_django_logs_it(caplog, rp):
    with caplog.at_level("WARNING", logger="django.request"):
        assert _call(FAST, _environ("/oidc/userinfo", "Bearer abc"))[0] == "401 Unauthorized"
        fast = [(r.levelname, r.getMessage(), r.status_code) for r in caplog.records]
        caplog.clear()
        assert _call(DJANGO, _environ("/oidc/userinfo", "Bearer abc"))[0] == "401 Unauthorized"
        django = [(r.levelname, r.getMessage(), r.status_code) for r in caplog.records]
    assert fast == django == [("WARNING", "Unauthorized: /oidc/userinfo", 401)]
