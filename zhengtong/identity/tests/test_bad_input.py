"""No input gets a 5xx from the protocol endpoints."""

from __future__ import annotations

import pytest

from zhengtong.identity.tests.conftest import basic

GARBAGE_TOKENS = [
    "x.y.z",
    "a.b",
    "....",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg none
    "eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUifQ.e30.AAAA",  # unknown kid
    "%%%.%%%.%%%",
    "\u4e2d\u6587.\u4e2d\u6587.\u4e2d\u6587",
    "A" * 5000,
    "",
]


@pytest.mark.parametrize("raw", GARBAGE_TOKENS)
def test_garbage_bearer_tokens_are_401_everywhere(client, rp, raw):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    userinfo = client.get("/oidc/userinfo", **headers)
    assert userinfo.status_code == 401
    api = client.get("/api/v1/me", **headers)
    assert api.status_code == 401
    introspect = client.post("/oidc/introspect", {"token": raw}, **basic())
    assert introspect.status_code in (200, 400) and introspect.json().get("active") in (False, None)
    revoke = client.post("/oidc/revoke", {"token": raw}, **basic())
    assert revoke.status_code in (200, 400)
    logout = client.get("/oidc/logout", {"id_token_hint": raw})
    assert logout.status_code in (200, 400)


@pytest.mark.parametrize(
    "authorization",
    ["Basic", "Basic %%%", "Basic " + "QQ==", "Basic 5Lit5paH", "Bearer", "Digest x", "Basic " + "A" * 3000],
)
def test_garbage_client_authentication_is_a_4xx(client, rp, authorization):
    for path, data in [
        ("/oidc/token", {"grant_type": "client_credentials"}),
        ("/oidc/introspect", {"token": "x"}),
        ("/oidc/revoke", {"token": "x"}),
    ]:
        response = client.post(path, data, HTTP_AUTHORIZATION=authorization)
        assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "demo-rp\x00"},
        {
            "client_id": "demo-rp",
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "response_type": "code",
            "scope": "\x00",
        },
        {"client_id": ["demo-rp", "demo-rp2"], "response_type": "code"},
        {
            "client_id": "demo-rp",
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "response_type": "code",
            "code_challenge": "x" * 500,
            "code_challenge_method": "S256",
        },
        {"response_type": "code"},
        {},
    ],
)
def test_garbage_authorization_requests_are_4xx_or_redirects(signed_in, rp, params):
    response = signed_in.get("/oidc/authorize", params)
    assert response.status_code in (302, 400), response.status_code
