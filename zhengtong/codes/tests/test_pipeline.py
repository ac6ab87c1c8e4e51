"""Issuance → verification, every bad input with its own reason, trust lists, rotation, revocation."""

import base64
import datetime as dt
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import base45
import cbor2
import pytest
from django.utils import timezone

from zhengtong.codes import cose, demo, keys, services, trust
from zhengtong.codes.models import Issuance, SigningKey, SubjectRecord
from zhengtong.codes.verify import TrustStore, verify

ROOT = Path(__file__).resolve().parents[3]


def reencode(cose_bytes: bytes, prefix: str = "ZT1:") -> str:
    return prefix + base45.b45encode(zlib.compress(cose_bytes)).decode()


def parts(code: str):
    tag = cbor2.loads(zlib.decompress(base45.b45decode(code[4:])))
    return list(tag.value)


def test_issue_and_verify_green(codes):
    issuance = services.issue(subject=codes.subject, purpose=codes.purpose)
    assert issuance.colour == "green" and issuance.reasons == []
    assert issuance.code.startswith("ZT1:")
    result = services.verify_code(issuance.code, purpose="health")
    assert result.valid and result.reason == "ok" and result.colour == "green" and result.region == "330000"
    # minimal payload: no name, no resident ID, no location
    claims = cbor2.loads(parts(issuance.code)[2])
    assert set(claims) == {1, 2, 4, 6, -65537}
    assert codes.person.resident_id not in json.dumps(claims, default=str)
    assert claims[4] - claims[6] == 24 * 3600


def test_rules_map_data_to_colours_with_reasons(codes, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.record_add(
            actor=codes.officer,
            subject=codes.subject,
            purpose=codes.purpose,
            kind="test_result",
            occurred_on=today - dt.timedelta(days=2),
            data={"result": "positive"},
        )
    current = Issuance.objects.get(subject=codes.subject, is_current=True)  # re-issued on commit
    assert current.colour == "red"
    assert [r["id"] for r in current.reasons] == ["HC-01"]
    assert current.reasons[0]["advice_en"]


def test_arrival_from_risk_county_turns_yellow_or_red(codes, django_capture_on_commit_callbacks):
    from zhengtong.codes.models import RegionRisk

    today = timezone.localdate()
    RegionRisk.objects.create(county_code="330782", day=today, level=4, indicators={})
    RegionRisk.objects.create(county_code="330106", day=today, level=5, indicators={})
    with django_capture_on_commit_callbacks(execute=True):
        services.record_add(
            actor=codes.officer,
            subject=codes.subject,
            purpose=codes.purpose,
            kind="arrival",
            occurred_on=today,
            data={"region": "330782"},
        )
    assert Issuance.objects.get(subject=codes.subject, is_current=True).colour == "yellow"
    with django_capture_on_commit_callbacks(execute=True):
        services.record_add(
            actor=codes.officer,
            subject=codes.subject,
            purpose=codes.purpose,
            kind="arrival",
            occurred_on=today,
            data={"region": "330106"},
        )
    assert Issuance.objects.get(subject=codes.subject, is_current=True).colour == "red"


def test_record_entry_needs_permission_and_valid_data(codes):
    from zhengtong.core.errors import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.record_add(
            actor=codes.world.yiwu_clerk,
            subject=codes.subject,
            purpose=codes.purpose,
            kind="test_result",
            occurred_on=timezone.localdate(),
            data={"result": "positive"},
        )
    with pytest.raises(ValidationError):
        services.record_add(
            actor=codes.officer,
            subject=codes.subject,
            purpose=codes.purpose,
            kind="test_result",
            occurred_on=timezone.localdate(),
            data={"result": "maybe"},
        )
    assert not SubjectRecord.objects.exists()


# ---------------------------------------------------------------- bad input, one reason each


@pytest.fixture
def valid_code(codes):
    return services.issue(subject=codes.subject, purpose=codes.purpose).code


def test_bad_inputs_each_get_their_own_reason(codes, valid_code):
    store = services.trust_store(refresh=True)
    protected, unprotected, payload, signature = parts(valid_code)
    claims = dict(cbor2.loads(payload))
    key = keys.private_key(codes.code_key)
    kid = bytes.fromhex(codes.code_key.kid)

    def signed(claims_map, signer=key, kid_=kid):
        prot = cbor2.dumps({1: -7, 4: kid_})
        body = cbor2.dumps(claims_map)
        sig = cose.sign_es256(signer, cbor2.dumps(["Signature1", prot, b"", body]))
        return reencode(cbor2.dumps(cbor2.CBORTag(18, [prot, {}, body, sig])))

    now = int(time.time())
    tampered = dict(claims)
    tampered[-65537] = {"p": "health", "c": "g"}
    tampered[2] = "0" * 16
    other_key = keys.generate(b"stranger")
    bomb = "ZT1:" + base45.b45encode(zlib.compress(b"\0" * 1_000_000)).decode()
    cases = {
        "bad_prefix": "HC1:" + valid_code[4:],
        "bad_base45": valid_code[:-1] + "~",
        "bad_base45 (truncated)": valid_code[: -(2 if len(valid_code[4:]) % 3 == 0 else 1)],
        "zlib_bomb": bomb,
        "bad_zlib": "ZT1:" + base45.b45encode(b"not zlib at all").decode(),
        "bad_cbor": reencode(b"\xff\xff\xff"),
        "bad_structure": reencode(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload]))),
        "bad_structure (types)": signed({**claims, 4: "tomorrow"}),
        "unknown_kid": signed(claims, other_key, cose.kid_for(other_key.public_key())),
        "bad_signature": reencode(
            cbor2.dumps(cbor2.CBORTag(18, [protected, {}, cbor2.dumps(tampered), signature]))
        ),
        "expired": signed({**claims, 6: now - 7200, 4: now - 3600}),
        "not_yet_valid": signed({**claims, 6: now + 7200, 4: now + 9000}),
    }
    for expected, text in cases.items():
        result = verify(text, store=store, purpose="health")
        assert not result.valid
        assert result.reason == expected.split(" ")[0], (expected, result)
    wrong = verify(valid_code, store=store, purpose="venue")
    assert (wrong.valid, wrong.reason) == (False, "wrong_purpose")
    for junk in ("", "ZT1:", None, 42, "ZT1:" + "A" * 100000):
        assert verify(junk, store=store).valid is False  # never an exception


def test_scanner_line_ends_are_trimmed_but_a_space_is_a_digit(codes, valid_code):
    store = services.trust_store(refresh=True)
    assert verify(valid_code + "\r\n", store=store, purpose="health").valid
    # Base45 has a space digit: a code cut so that it ends in a space must not be "repaired".
    body = valid_code[4:]
    cut = next(i for i in range(len(body) - 1, 0, -1) if i % 3 == 1 and body[i - 1] != " ")
    truncated = "ZT1:" + body[: cut - 1] + " "
    result = verify(truncated, store=store, purpose="health")
    assert (result.valid, result.reason) == (False, "bad_base45")


def test_untrusted_region_and_revoked_key(codes, valid_code):
    store = services.trust_store(refresh=True)
    entry = store.by_kid[bytes.fromhex(codes.code_key.kid)][0]
    untrusted = TrustStore()
    untrusted.add(entry.__class__(entry.kid, entry.region, entry.public_key, "active", trusted=False))
    assert verify(valid_code, store=untrusted).reason == "untrusted_region"
    wrong_region = TrustStore()
    wrong_region.add(entry.__class__(entry.kid, "310000", entry.public_key, "active"))
    assert verify(valid_code, store=wrong_region).reason == "untrusted_region"
    keys.revoke(actor=codes.admin, key=codes.code_key, reason="key compromised")
    services.forget_trust_store()
    assert services.verify_code(valid_code).reason == "revoked_key"
    assert keys.active_key().kid != codes.code_key.kid  # a new key took over
    assert services.verify_code(services.issue(subject=codes.subject, purpose=codes.purpose).code).valid


def test_rotation_keeps_old_codes_valid_until_expiry(codes, valid_code):
    new = keys.rotate(actor=codes.admin)
    services.forget_signers()
    services.forget_trust_store()
    assert new.kid != codes.code_key.kid
    assert SigningKey.objects.get(pk=codes.code_key.pk).status == "retired"
    assert services.verify_code(valid_code).valid
    fresh = services.issue(subject=codes.subject, purpose=codes.purpose)
    assert fresh.kid == new.kid and services.verify_code(fresh.code).valid
    listed = {k["kid"]: k["status"] for k in trust.own_document()["keys"]}
    assert listed[codes.code_key.kid] == "retired" and listed[new.kid] == "active"
    later = timezone.now() + dt.timedelta(hours=25)
    assert codes.code_key.kid not in {k["kid"] for k in trust.own_document(now=later)["keys"]}
    assert verify(valid_code, store=services.trust_store(), now=later.timestamp()).reason == "expired"


# ---------------------------------------------------------------- trust lists and mutual recognition


def test_region_b_code_verifies_only_after_importing_b_list(codes):
    from zhengtong.core.errors import ValidationError

    b_code = demo.region_b_code()
    assert services.verify_code(b_code).reason == "unknown_kid"
    signed = demo.region_b_signed_list()
    with pytest.raises(ValidationError):  # no anchor configured for B yet
        trust.import_signed(actor=codes.admin, signed=signed)
    trust.anchor_add(
        actor=codes.admin, region_code="310000", name="B", public_key_pem=demo.region_b_anchor_pem()
    )
    forged = json.loads(json.dumps(signed))
    forged["trustlist"]["keys"][0]["status"] = "active "
    with pytest.raises(ValidationError):
        trust.import_signed(actor=codes.admin, signed=forged)
    trust.import_signed(actor=codes.admin, signed=signed)
    services.forget_trust_store()
    result = services.verify_code(b_code, purpose="health")
    assert result.valid and result.region == "310000"
    # B's anchor no longer trusted → untrusted_region
    from zhengtong.codes.models import TrustAnchor

    TrustAnchor.objects.filter(region_code="310000").update(is_active=False)
    services.forget_trust_store()
    assert services.verify_code(b_code).reason == "untrusted_region"


def test_region_a_code_verifies_at_b_after_b_imports_a_list(codes, valid_code, tmp_path):
    """Region B's offline verifier (the CLI) with an empty list, then with A's signed list."""
    from django.core.management import call_command

    signed = trust.export_signed()
    anchor = trust.anchor_export()
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"lists": []}))
    lst = tmp_path / "a.json"
    lst.write_text(json.dumps(signed))
    pem = tmp_path / "a-anchor.pem"
    pem.write_text(anchor["public_key_pem"])
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("codes_verify", valid_code, "--trust-list", str(empty), stdout=out)
    assert exc.value.code == 1 and "unknown_kid" in out.getvalue()
    out = StringIO()
    call_command(
        "codes_verify",
        valid_code,
        "--trust-list",
        str(lst),
        "--anchor",
        str(pem),
        "--purpose",
        "health",
        stdout=out,
    )
    assert '"valid": true' in out.getvalue()
    # a list signed by someone else is refused against the configured anchor
    other = keys.generate(b"mallory")
    bad = trust.sign_document(signed["trustlist"], other, signed["anchor_kid"])
    lst.write_text(json.dumps(bad))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "codes_verify", valid_code, "--trust-list", str(lst), "--anchor", str(pem), stdout=StringIO()
        )


def test_independent_decoder_script(codes, valid_code, tmp_path):
    entry = trust.own_document()["keys"][0]
    jwk = tmp_path / "key.jwk"
    jwk.write_text(json.dumps(entry["jwk"]))
    script = ROOT / "bench" / "codes_independent_decode.py"
    done = subprocess.run([sys.executable, str(script), valid_code, str(jwk)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout
    out = json.loads(done.stdout)
    assert (
        out["verified"] and out["colour"] == "green" and out["iss"] == "330000" and out["kid"] == entry["kid"]
    )
    pem = tmp_path / "key.pem"
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

    pem.write_bytes(
        load_der_public_key(base64.b64decode(entry["public_key_der"])).public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    )
    tampered = valid_code[:-6] + ("A" if valid_code[-6] != "A" else "B") + valid_code[-5:]
    done = subprocess.run([sys.executable, str(script), tampered, str(pem)], capture_output=True, text=True)
    assert done.returncode == 1 and json.loads(done.stdout)["verified"] is False


def test_verification_keeps_only_counts(codes, valid_code):
    from zhengtong.codes.models import VerificationCount

    services.verify_code(valid_code)
    services.verify_code("nonsense")
    services.flush_counts()
    rows = {(r.result, r.count) for r in VerificationCount.objects.all()}
    assert ("ok", 1) in rows and ("bad_prefix", 1) in rows
    fields = {f.name for f in VerificationCount._meta.get_fields()}
    assert fields == {"id", "day", "purpose", "region_code", "result", "count"}


def test_dedicated_verification_service(codes, valid_code, settings):
    import io

    from zhengtong.codes.wsgi_verify import application

    def call(body: bytes, method="POST", path="/api/v1/codes/verify"):
        status = {}

        def start_response(s, headers):
            status["s"] = s
            status["headers"] = dict(headers)

        environ = {
            "PATH_INFO": path,
            "REQUEST_METHOD": method,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "REMOTE_ADDR": "127.0.0.1",
        }
        out = b"".join(application(environ, start_response))
        call.headers = status["headers"]
        return status["s"], json.loads(out)

    s, body = call(json.dumps({"code": valid_code, "purpose": "health"}).encode())
    assert s.startswith("200") and body["valid"] and body["colour"] == "green"
    s, body = call(json.dumps({"code": valid_code, "purpose": "venue"}).encode())
    assert body["reason"] == "wrong_purpose"
    assert call(b"not json")[0].startswith("422")
    assert call(json.dumps({"code": 5}).encode())[1]["error"]["details"]["fields"]["code"]
    assert call(b"{}", method="GET")[0].startswith("405")
    assert call(b"{}", path="/other")[0].startswith("404")
    settings.CODES_VERIFY_RATE_PER_MINUTE = 1  # the two verifications above were counted
    s, body = call(json.dumps({"code": valid_code}).encode())
    assert s == "429 Too Many Requests" and body["error"]["code"] == "rate_limited"
    assert body["error"]["details"]["limit"] == 1
    assert call.headers["Retry-After"] == str(body["error"]["details"]["retry_after"])
