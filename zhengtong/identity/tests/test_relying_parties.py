"""Acceptance: relying parties written with independent libraries — Authlib's OAuth2Session and
requests-oauthlib — against a running server, not with project code: discovery → authorization
with PKCE → the portal's login → consent → code → tokens → ID token checked against the JWKS
(signature, iss, aud, nonce, exp) → userinfo → refresh → logout. The user agent is a plain
requests session filling in the portal's forms."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from joserfc import jwt
from joserfc.jwk import KeySet
from requests_oauthlib import OAuth2Session as OAuthlibSession

from conftest import PASSWORD
from zhengtong.identity.demo import REDIRECT
from zhengtong.identity.tests.conftest import make_client

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def provider(live_server, world, admin):
    make_client(
        admin, world, "demo-rp", sector="demo-sector-a", secret="demo-rp-secret", id_token_alg="RS256"
    )
    make_client(
        admin, world, "demo-rp2", sector="demo-sector-b", secret="demo-rp2-secret", id_token_alg="ES256"
    )
    meta = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == live_server.url
    return meta


def _csrf(session: requests.Session, html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else session.cookies["csrftoken"]


def sign_in_and_consent(
    authorization_url: str, *, username: str = "citizen", agent: requests.Session | None = None
) -> str:
    """Play the person's browser: log in on the portal, allow on the consent page; the URL the
    provider redirects back to (not followed: nothing listens on 127.0.0.1:8765)."""
    ua = agent or requests.Session()
    response = ua.get(authorization_url, allow_redirects=False, timeout=10)
    if response.status_code == 302 and "/login/" in response.headers["Location"]:
        login_url = urljoin(authorization_url, response.headers["Location"])
        page = ua.get(login_url, timeout=10)
        nxt = parse_qs(urlsplit(login_url).query)["next"][0]
        response = ua.post(
            login_url,
            data={
                "username": username,
                "password": PASSWORD,
                "next": nxt,
                "csrfmiddlewaretoken": _csrf(ua, page.text),
            },
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:500]
        response = ua.get(
            urljoin(authorization_url, response.headers["Location"]), allow_redirects=False, timeout=10
        )
    if response.status_code == 200:  # consent page
        assert "Allow" in response.text or "允许" in response.text
        response = ua.post(
            authorization_url,
            data={"decision": "allow", "csrfmiddlewaretoken": _csrf(ua, response.text)},
            allow_redirects=False,
            timeout=10,
        )
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def verify_id_token(meta: dict, id_token: str, *, client_id: str, nonce: str) -> dict:
    jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(id_token, jwks, algorithms=meta["id_token_signing_alg_values_supported"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        sub={"essential": True},
    ).validate(decoded.claims)
    return decoded


def test_authlib_relying_party(provider, world):
    meta = provider
    ua = requests.Session()
    subs = {}
    for client_id, secret, alg in [
        ("demo-rp", "demo-rp-secret", "RS256"),
        ("demo-rp2", "demo-rp2-secret", "ES256"),
    ]:
        rp = AuthlibSession(
            client_id, secret, scope="openid profile", redirect_uri=REDIRECT, code_challenge_method="S256"
        )
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
        url, state = rp.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        back = sign_in_and_consent(url, agent=ua)
        assert parse_qs(urlsplit(back).query)["state"] == [state]
        token = rp.fetch_token(meta["token_endpoint"], authorization_response=back, code_verifier=verifier)
        decoded = verify_id_token(meta, token["id_token"], client_id=client_id, nonce=nonce)
        claims = decoded.claims
        assert decoded.header["alg"] == alg
        info = rp.get(meta["userinfo_endpoint"]).json()
        assert info["sub"] == claims["sub"] and info["name"]
        refreshed = rp.refresh_token(meta["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert rp.get(meta["userinfo_endpoint"]).json()["sub"] == claims["sub"]
        subs[client_id] = claims["sub"]
    assert subs["demo-rp"] != subs["demo-rp2"]
    # logout (RP-initiated) with the last ID token
    response = ua.get(
        meta["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:8765/",
            "state": "bye",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302 and response.headers["Location"] == "http://127.0.0.1:8765/?state=bye"
    assert rp.get(meta["userinfo_endpoint"]).status_code == 401  # the session's tokens are revoked
    again = ua.get(meta["authorization_endpoint"], allow_redirects=False, timeout=10)
    assert again.status_code in (302, 400)


def test_requests_oauthlib_relying_party(provider, world, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the live server speaks http
    meta = provider
    nonce = secrets.token_urlsafe(12)
    rp = OAuthlibSession("demo-rp", redirect_uri=REDIRECT, scope=["openid", "profile"], pkce="S256")
    url, state = rp.authorization_url(meta["authorization_endpoint"], nonce=nonce)
    back = sign_in_and_consent(url)
    token = rp.fetch_token(
        meta["token_endpoint"], authorization_response=back, client_secret="demo-rp-secret"
    )
    claims = verify_id_token(meta, token["id_token"], client_id="demo-rp", nonce=nonce).claims
    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    refreshed = rp.refresh_token(meta["token_endpoint"], auth=("demo-rp", "demo-rp-secret"))
    assert refreshed["refresh_token"] != token["refresh_token"]
    introspected = requests.post(
        meta["introspection_endpoint"],
        data={"token": refreshed["access_token"]},
        auth=("demo-rp", "demo-rp-secret"),
        timeout=10,
    ).json()
    assert introspected["active"] is True and introspected["sub"] == claims["sub"]
    revoked = requests.post(
        meta["revocation_endpoint"],
        data={"token": refreshed["refresh_token"]},
        auth=("demo-rp", "demo-rp-secret"),
        timeout=10,
    )
    assert revoked.status_code == 200
    dead = requests.post(
        meta["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=("demo-rp", "demo-rp-secret"),
        timeout=10,
    )
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
