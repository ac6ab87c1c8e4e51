"""Back-channel logout notices (OpenID Connect Back-Channel Logout 1.0), delivered by the outbox:
a signed logout token POSTed to the client's ``backchannel_logout_uri``."""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

from joserfc import jwt
from joserfc.jwk import KeySet

from zhengtong.core import outbox
from zhengtong.identity import keys
from zhengtong.identity.models import Client
from zhengtong.identity.server import issuer

TOPIC = "identity.backchannel_logout"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(*, client: Client, sub: str, sid: str, iss: str) -> str:
    now = int(time.time())
    payload = {
        "iss": iss,
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": sub,
        "sid": sid,
        "events": {EVENT: {}},
    }
    key = keys.signing_key(client.id_token_alg)
    return jwt.encode(
        {"alg": client.id_token_alg, "typ": "logout+jwt", "kid": key.kid}, payload, KeySet([key])
    )


@outbox.handler(TOPIC)
def deliver(payload: dict) -> None:
    client = Client.objects.filter(client_id=payload["client_id"]).first()
    if client is None or not client.backchannel_logout_uri or not client.enabled:
        return
    token = logout_token(
        client=client, sub=payload["sub"], sid=payload["sid"], iss=payload.get("iss") or issuer()
    )
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    req = urllib.request.Request(  # noqa: S310 - the URI was validated as http(s) at registration
        client.backchannel_logout_uri,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"status {response.status}")  # retried by the outbox
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            raise outbox.PermanentFailure(f"status {exc.code}") from exc
        raise RuntimeError(f"status {exc.code}") from exc  # retried by the outbox
