"""Sealing, verification and the public verification surfaces of the seals module."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.seals import selectors, services
from zhengtong.seals.models import SealedDocument, SealKey
from zhengtong.seals.pdf import DocumentSpec, render_pdf


def _spec(**kw) -> DocumentSpec:
    base = dict(
        issuer="杭州市西湖区人民政府办公室",
        title="关于做好2026年度政务公开工作的通知",
        doc_number="西政办发〔2026〕12号",
        recipients="各镇人民政府、各街道办事处，区政府各部门：",
        paragraphs=["为贯彻落实《中华人民共和国政府信息公开条例》，现将有关事项通知如下。" * 3, "特此通知。"],
        attachments=["2026年度政务公开工作要点"],
        signer="杭州市西湖区人民政府办公室",
        date=dt.date(2026, 12, 2),
        copy_to="抄送：区委办公室。",
        copy_number="000123",
        red_header=True,
        extra_rows=[("受理编号", "ZJ2026120200001")],
        seal_name="杭州市西湖区人民政府办公室",
    )
    base.update(kw)
    return DocumentSpec(**base)


def _independent_verify(jwk: dict, data: bytes, signature_b64url: str) -> bool:
    """What a third party does with the published JWK and the `cryptography` package alone."""

    def b64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64(jwk["x"]), "big"), int.from_bytes(b64(jwk["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = b64(signature_b64url)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def test_render_pdf_embeds_the_font_and_renders(tmp_path):
    pdf = render_pdf(_spec())
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # the TrueType font is embedded, not referenced
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        (tmp_path / "doc.pdf").write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "关于做好2026年度政务公开工作的通知" in text.replace("\n", "")
        assert "2026年12月2日" in text
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", str(tmp_path / "doc.pdf"), str(tmp_path / "p")], check=True
        )
        assert list(tmp_path.glob("p*.png"))


def test_sealed_document_verifies_with_the_published_key_and_not_when_altered(world, client):
    pdf = render_pdf(_spec())
    doc = services.seal_document(
        department=world.xihu_gaj, kind="test.notice", reference="1", title="通知", pdf=pdf, via="tests"
    )
    assert doc.sha256 and len(doc.code) == services.CODE_LENGTH
    assert AuditEvent.objects.filter(action="seals.document.seal", target_id=str(doc.pk)).count() == 1

    jwks = client.get("/seals/keys.json").json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == doc.kid)
    assert jwk["zt_purpose"] == "seal" and jwk["zt_department"] == world.xihu_gaj.name
    stored = selectors.document_pdf(doc)
    assert stored == pdf
    assert _independent_verify(jwk, stored, doc.signature)
    altered = stored.replace(b"/Title", b"/Titlf", 1)
    assert altered != stored
    assert not _independent_verify(jwk, altered, doc.signature)
    assert services.verify_document(doc).status == "valid"
    assert services.verify_document(doc, altered).status == "altered"
    assert services.verify_pdf(altered).status == "unknown"
    assert services.verify_pdf(stored).status == "valid"


def test_each_department_has_its_own_seal_key(world):
    pdf = render_pdf(_spec(paragraphs=["一段。"]))
    a = services.seal_document(
        department=world.xihu_gaj, kind="t", reference="a", title="a", pdf=pdf, via="tests"
    )
    b = services.seal_document(
        department=world.xihu_scjg, kind="t", reference="b", title="b", pdf=pdf, via="tests"
    )
    c = services.seal_document(
        department=world.xihu_gaj, kind="t", reference="c", title="c", pdf=pdf, via="tests"
    )
    assert a.kid == c.kid != b.kid
    assert SealKey.objects.filter(purpose="seal", status="active").count() == 2


def test_refusals_store_nothing(world):
    with pytest.raises(ValidationError) as exc:
        services.seal_document(
            department=world.xihu_gaj, kind="t", reference="x", title="x", pdf=b"<html>", via="tests"
        )
    assert "pdf" in exc.value.fields
    with pytest.raises(ValueError):
        services.seal_document(
            department=world.xihu_gaj, kind="t", reference="x", title="x", pdf=render_pdf(_spec()), via=""
        )
    assert SealedDocument.objects.count() == 0
    assert not AuditEvent.objects.filter(action="seals.document.seal").exists()


def test_revocation_stops_verification_once(world):
    doc = services.seal_document(
        department=world.xihu_gaj, kind="t", reference="r", title="r", pdf=render_pdf(_spec()), via="tests"
    )
    with pytest.raises(ValidationError):
        services.document_revoke(document=doc, reason="  ", via="tests")
    doc.refresh_from_db()
    assert doc.revoked_at is None
    services.document_revoke(document=doc, reason="决定已撤销", via="tests")
    doc.refresh_from_db()
    assert services.verify_document(doc).status == "revoked"
    with pytest.raises(Conflict):
        services.document_revoke(document=doc, reason="again", via="tests")


def test_rotation_keeps_old_documents_valid(world, client):
    pdf = render_pdf(_spec(paragraphs=["旧。"]))
    old_doc = services.seal_document(
        department=world.xihu_gaj, kind="t", reference="o", title="o", pdf=pdf, via="tests"
    )
    new_key = services.key_rotate(department=world.xihu_gaj, via="tests")
    assert new_key.kid != old_doc.kid
    new_doc = services.seal_document(
        department=world.xihu_gaj, kind="t", reference="n", title="n", pdf=pdf, via="tests"
    )
    assert new_doc.kid == new_key.kid
    assert services.verify_document(old_doc).valid and services.verify_document(new_doc).valid
    statuses = {k["kid"]: k["zt_status"] for k in client.get("/seals/keys.json").json()["keys"]}
    assert statuses[old_doc.kid] == "retired" and statuses[new_key.kid] == "active"


def test_statement_signatures(world):
    sig = services.sign_bytes(purpose="tests.receipt", payload=b'{"a":1}', via="tests")
    assert sig.alg == "ES256"
    assert services.verify_bytes(kid=sig.kid, payload=b'{"a":1}', signature_b64url=sig.value_b64url)
    assert not services.verify_bytes(kid=sig.kid, payload=b'{"a":2}', signature_b64url=sig.value_b64url)
    assert not services.verify_bytes(
        kid="0000000000000000", payload=b'{"a":1}', signature_b64url=sig.value_b64url
    )
    assert not services.verify_bytes(kid=sig.kid, payload=b'{"a":1}', signature_b64url="not*base64")
    with pytest.raises(ValueError):
        services.sign_bytes(purpose="seal", payload=b"x", via="tests")
    again = services.sign_bytes(purpose="tests.receipt", payload=b"x", via="tests")
    assert again.kid == sig.kid
    assert SealKey.objects.filter(purpose="tests.receipt").count() == 1


def test_public_verification_page_by_code_and_by_upload(world, client):
    pdf = render_pdf(_spec())
    doc = services.seal_document(
        department=world.xihu_gaj, kind="t", reference="p", title="告知书", pdf=pdf, via="tests"
    )
    page = client.post("/seals/verify/", {"code": doc.code.lower()})
    assert page.status_code == 200 and doc.sha256 in page.content.decode()
    assert "state-valid" in page.content.decode()
    upload = client.post("/seals/verify/", {"file": SimpleUploadedFile("d.pdf", pdf, "application/pdf")})
    assert "state-valid" in upload.content.decode()
    bad = client.post("/seals/verify/", {"file": SimpleUploadedFile("d.txt", b"hello", "text/plain")})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    assert client.get(f"/seals/verify/{doc.code}/").status_code == 200
    assert client.get("/seals/verify/NOSUCHCODE22/").status_code == 404
    api = client.get(f"/api/v1/seals/documents/{doc.code}").json()
    assert api["status"] == "valid" and api["sha256"] == doc.sha256
    assert client.get("/api/v1/seals/documents/NOPE").status_code == 404
    assert any(k["kid"] == doc.kid for k in client.get("/api/v1/seals/keys").json()["keys"])


@override_settings(SEALS_VERIFY_PER_MINUTE=2)
def test_anonymous_verification_is_rate_limited(world, client):
    codes = [client.post("/seals/verify/", {"code": "ABCDEFGHJKMN"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
