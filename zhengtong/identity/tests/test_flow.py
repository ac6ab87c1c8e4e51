from __future__ import annotations

import base64

from joserfc import jwt
from joserfc.jwk import KeySet

from zhengtong.audit.models import AuditEvent
from zhengtong.identity.demo import REDIRECT
from zhengtong.identity.models import Consent, Token
from zhengtong.identity.tests.conftest import SECRET, authorize_params, get_code, pkce


def test_code_flow_with_pkce_issues_verified_tokens(client, world, rp, password):
    client.force_login(world.citizen)
    verifier, challenge = pkce()
    params = authorize_params(challenge=challenge)
    code = get_code(client, params)
    response = client.post(
        "/oidc/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"demo-rp:{SECRET}".encode()).decode(),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= set(body)
    jwks = KeySet.import_key_set(client.get("/oidc/jwks.json").json())
    id_token = jwt.decode(body["id_token"], jwks, algorithms=["RS256", "ES256"])
    assert id_token.claims["aud"] == "demo-rp"
    assert id_token.claims["nonce"] == "n-456"
    assert id_token.claims["iss"] == "http://testserver"
    assert id_token.header["alg"] == "RS256"
    userinfo = client.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert userinfo.status_code == 200, userinfo.content
    assert userinfo.json()["sub"] == id_token.claims["sub"]
    assert Consent.objects.filter(user=world.citizen, client=rp, revoked_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="identity.token_issue").count() == 1
    assert Token.objects.count() == 1
