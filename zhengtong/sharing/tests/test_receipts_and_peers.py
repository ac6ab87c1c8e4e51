"""Receipts verify offline with the independent script and the published keys; a verification
call from one installation to another is logged on both sides and its receipt checked by the
caller (the other installation is a live server with its own installation id)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from django.test import Client

from zhengtong.core.errors import Conflict
from zhengtong.sharing import services
from zhengtong.sharing.models import Exchange

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "verify_receipt.py"


def _script():
    spec = importlib.util.spec_from_file_location("verify_receipt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_independent_script_verifies_with_the_published_keys(shr, tmp_path):
    _grant, secret = shr.grant()
    answer = services.exchange_call(
        secret=secret, mode="verification", body={"subject": {"resident_id": shr.person.resident_id}}
    )
    jwks = Client().get("/seals/keys.json").json()
    script = _script()
    assert script.verify(answer["receipt"], jwks) == (True, "valid")
    (tmp_path / "r.json").write_text(json.dumps(answer["receipt"], ensure_ascii=False))
    (tmp_path / "k.json").write_text(json.dumps(jwks))
    (tmp_path / "a.json").write_text(json.dumps(answer, ensure_ascii=False))
    assert (
        script.main(
            [str(tmp_path / "r.json"), str(tmp_path / "k.json"), "--response", str(tmp_path / "a.json")]
        )
        == 0
    )
    tampered = {**answer, "result": "no_match"}
    (tmp_path / "a.json").write_text(json.dumps(tampered, ensure_ascii=False))
    assert (
        script.main(
            [str(tmp_path / "r.json"), str(tmp_path / "k.json"), "--response", str(tmp_path / "a.json")]
        )
        == 1
    )
    altered = json.loads(json.dumps(answer["receipt"]))
    altered["payload"]["on_behalf_of"] = "ZJ-OTHER"
    assert script.verify(altered, jwks)[0] is False


@pytest.mark.django_db(transaction=True)
def test_verification_between_installations(live_server, settings, world):
    from zhengtong.sharing.tests.conftest import Shr

    settings.SHARING_INSTALLATION_ID = "zj-province"
    settings.SHARING_PEERS = [f"zj-province={live_server.url}"]
    shr = Shr(world)
    grant, secret = shr.grant()
    peer = services.peer_refresh(actor=None, installation="zj-province", via="sharing")
    assert peer.base_url == live_server.url  # no receipt key yet: it is created on first use
    caller = shr.yiwu_consumer  # the other installation's department (here: 义乌 staff)
    answer = services.remote_verify(
        actor=caller,
        installation="zj-province",
        key=secret,
        subject={"resident_id": shr.person.resident_id, "name": "张三"},
        on_behalf_of="YW-2026-7",
    )
    assert answer["result"] == "match"
    served = Exchange.objects.get(direction="in", on_behalf_of="YW-2026-7")
    called = Exchange.objects.get(direction="out", on_behalf_of="YW-2026-7")
    assert served.grant_id == grant.pk and called.peer == "zj-province" and called.outcome == "ok"
    assert called.receipt["id"] == str(served.receipt_id) and called.signature == served.signature
    # a refusal crosses the boundary too, receipted and logged on both sides
    with pytest.raises(Conflict):
        services.remote_verify(
            actor=caller,
            installation="zj-province",
            key=secret,
            subject={"resident_id": shr.person.resident_id, "phone": "1"},
            on_behalf_of="YW-2026-8",
        )
    assert Exchange.objects.get(direction="out", on_behalf_of="YW-2026-8").reason == "outside_fields"
    assert Exchange.objects.get(direction="in", on_behalf_of="YW-2026-8").outcome == "refused"
    peer.refresh_from_db()
    assert peer.keys["keys"]  # refreshed when the first receipt named a new key
    # a key the caller holds under that kid but that did not sign: the answer is not returned
    from cryptography.hazmat.primitives.asymmetric import ec

    from zhengtong.core import keys as core_keys

    kid = called.kid
    peer.keys = {
        "keys": [core_keys.public_key_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), kid)]
    }
    peer.save()
    with pytest.raises(Conflict) as exc:
        services.remote_verify(
            actor=caller,
            installation="zj-province",
            key=secret,
            subject={"resident_id": shr.person.resident_id},
            on_behalf_of="YW-2026-9",
        )
    assert "receipt_invalid" in exc.value.message
