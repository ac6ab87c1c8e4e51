from __future__ import annotations

from zhengtong.audit.models import AuditEvent
from zhengtong.core.models import OutboxMessage
from zhengtong.identity import backchannel
from zhengtong.identity.models import Token
from zhengtong.identity.tests.conftest import query


def test_rp_initiated_logout_with_id_token_hint(signed_in, world, admin, tokens, rp):
    rp.backchannel_logout_uri = "http://127.0.0.1:8765/backchannel"
    rp.save(update_fields=["backchannel_logout_uri"])
    response = signed_in.get(
        "/oidc/logout",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:8765/",
            "state": "bye",
        },
    )
    assert response.status_code == 302
    assert (
        response["Location"].startswith("http://127.0.0.1:8765/")
        and query(response["Location"])["state"] == "bye"
    )
    assert "_auth_user_id" not in signed_in.session
    assert Token.objects.filter(revoked_at__isnull=True).count() == 0
    message = OutboxMessage.objects.get(topic=backchannel.TOPIC)
    assert message.payload["client_id"] == "demo-rp" and message.payload["sid"]
    assert AuditEvent.objects.filter(action="identity.logout").count() == 1


def test_logout_token_is_signed_and_names_the_event(signed_in, tokens, rp):
    from joserfc import jwt
    from joserfc.jwk import KeySet

    token = backchannel.logout_token(client=rp, sub="abc", sid="s1", iss="http://testserver")
    decoded = jwt.decode(token, KeySet.import_key_set(signed_in.get("/oidc/jwks.json").json()))
    assert decoded.claims["events"] == {backchannel.EVENT: {}} and "nonce" not in decoded.claims
    assert decoded.header["typ"] == "logout+jwt"


def test_logout_without_hint_asks_first_and_never_redirects_to_unregistered_uri(signed_in, tokens, rp):
    page = signed_in.get(
        "/oidc/logout", {"client_id": "demo-rp", "post_logout_redirect_uri": "http://evil.example/"}
    )
    assert page.status_code == 200 and "_auth_user_id" in signed_in.session
    done = signed_in.post(
        "/oidc/logout?client_id=demo-rp&post_logout_redirect_uri=http://evil.example/", {"decision": "logout"}
    )
    assert done.status_code == 200 and "Location" not in done
    assert "_auth_user_id" not in signed_in.session


def test_logout_with_forged_hint_is_refused(signed_in, tokens, rp):
    forged = tokens["id_token"][:-6] + "AAAAAA"
    response = signed_in.get(
        "/oidc/logout", {"id_token_hint": forged, "post_logout_redirect_uri": "http://127.0.0.1:8765/"}
    )
    assert response.status_code == 400 and "Location" not in response
    assert "_auth_user_id" in signed_in.session
    assert Token.objects.filter(revoked_at__isnull=True).count() == 1


def test_portal_sign_out_tells_the_applications_of_the_session(signed_in, tokens, rp):
    rp.backchannel_logout_uri = "http://127.0.0.1:8765/backchannel"
    rp.save(update_fields=["backchannel_logout_uri"])
    response = signed_in.post("/logout/")
    assert response.status_code == 302
    assert Token.objects.filter(revoked_at__isnull=True).count() == 0
    assert OutboxMessage.objects.filter(topic=backchannel.TOPIC).count() == 1
