from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from conftest import shared_fixture
from zhengtong.identity import services
from zhengtong.identity.demo import REDIRECT

SECRET = "demo-rp-secret"


@shared_fixture
def admin(world):
    return world.staff("id_admin", "identity_admin", world.province)


def make_client(
    admin, world, client_id="demo-rp", *, sector="sector-a", client_type="confidential", secret=SECRET, **kw
):
    values = {
        "actor": admin,
        "client_id": client_id,
        "name": f"App {client_id}",
        "org_unit": world.xihu,
        "department": world.xihu_scjg,
        "purpose": "测试用途",
        "client_type": client_type,
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": ["http://127.0.0.1:8765/"],
        "scopes": ["openid", "profile", "phone"],
        "grant_types": ["authorization_code", "refresh_token"]
        + (["client_credentials"] if client_type == "confidential" else []),
        "sector": sector,
        "known_secret": secret if client_type == "confidential" else None,
    }
    values.update(kw)
    client, _secret = services.client_create(**values)
    return client


@shared_fixture
def rp(world, admin):
    return make_client(admin, world)


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_params(client_id="demo-rp", *, scope="openid profile", challenge=None, **extra):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-123/ä?&",
        "nonce": "n-456",
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def get_code(http, params) -> str:
    """Authorize as the signed-in user of ``http`` and allow; the code from the redirect."""
    response = http.get("/oidc/authorize", params)
    if response.status_code == 200:  # the consent page
        response = http.post(f"/oidc/authorize?{_encode(params)}", {"decision": "allow"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    values = query(response["Location"])
    assert response["Location"].startswith(REDIRECT)
    assert values["state"] == params["state"]
    return values["code"]


def _encode(params) -> str:
    return urlencode(params)


def basic(client_id="demo-rp", secret=SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def exchange(http, code, *, verifier=None, client_id="demo-rp", secret=SECRET, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    if verifier:
        data["code_verifier"] = verifier
    if secret is None:
        data["client_id"] = client_id
        return http.post("/oidc/token", data)
    return http.post("/oidc/token", data, **basic(client_id, secret))


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.citizen)
    return client


@pytest.fixture
def tokens(signed_in, rp):
    """A full code exchange for demo-rp: the token response body."""
    verifier, challenge = pkce()
    code = get_code(signed_in, authorize_params(challenge=challenge))
    response = exchange(signed_in, code, verifier=verifier)
    assert response.status_code == 200, response.content
    return response.json()
