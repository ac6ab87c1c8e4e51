"""Redaction of reply documents (text, PDF, DOCX) with the privacy detectors and a human check;
a partial disclosure with a sealed reply letter; publication of the checked documents only."""

from __future__ import annotations

import io
import subprocess

import docx
import pypdf
import pytest
from PIL import Image, ImageChops

from zhengtong.core.errors import ValidationError
from zhengtong.opengov import redaction, selectors, services
from zhengtong.opengov.letters import render_plain_pdf
from zhengtong.opengov.models import RequestDocument
from zhengtong.seals import selectors as seal_selectors
from zhengtong.seals import services as seals

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
TEXT = f"经营者王五，身份证号{ID}，联系电话13912345678，地址西湖区文三路1号。许可证号JY13301060001。"


def _docx(text: str) -> bytes:
    d = docx.Document()
    p = d.add_paragraph()
    # Split across runs: a finding spanning runs must still go.
    p.add_run(text[:12])
    p.add_run(text[12:])
    table = d.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "备注：手机13912345678"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_text_redaction_blocks_identifiers_and_extra_terms():
    out, found = redaction.redact_text(TEXT, ["王五", "文三路1号"])
    assert ID not in out and "13912345678" not in out and "王五" not in out and "文三路1号" not in out
    assert "JY13301060001" in out or "JY" in out  # what no detector and no term names stays
    assert {f["kind"] for f in found} >= {"resident_id", "mobile", "manual"}
    assert len(out) == len(TEXT)


def test_docx_redaction_rewrites_runs_and_tables():
    result = redaction.redact("docx", _docx(TEXT), ["王五"])
    d = docx.Document(io.BytesIO(result.content))
    everything = "\n".join(p.text for p in d.paragraphs) + d.tables[0].cell(0, 0).text
    assert ID not in everything and "13912345678" not in everything and "王五" not in everything
    assert "█" in everything


def _render(pdf: bytes, directory) -> Image.Image:
    """The first page as pixels (poppler's pdftoppm, as a reader would see it)."""
    path = directory / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-singlefile", str(path), str(directory / "page")], check=True
    )
    return Image.open(directory / "page.png").convert("L")


def test_pdf_redaction_removes_the_text_and_keeps_the_layout(tmp_path):
    closing = "本决定自公布之日起施行。" * 4
    original = render_plain_pdf("原件", [TEXT, closing])
    assert ID in redaction.pdf_text(original)
    result = redaction.redact("pdf", original, ["王五"])
    assert result.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(result.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    # Really gone: not in the text a reader extracts, nor in the raw content streams.
    assert ID not in text and "13912345678" not in text and "王五" not in text
    assert "王五" not in result.text and ID not in result.text
    raw = b"".join(page.get_contents().get_data() for page in reader.pages)
    original_raw = b"".join(
        page.get_contents().get_data() for page in pypdf.PdfReader(io.BytesIO(original)).pages
    )
    assert len(raw) < len(original_raw) + 400  # the codes went, boxes came: no copy of the page
    # What was not found stays, where it was.
    assert "许可证号JY13301060001" in text and closing in text
    assert {f["kind"] for f in result.findings} >= {"resident_id", "mobile", "manual"}
    before, after = _render(original, tmp_path), _render(result.content, tmp_path)
    changed = ImageChops.difference(before, after).getbbox()
    assert changed is not None  # the boxes are drawn
    # Only the lines holding the findings changed: the closing paragraph's pixels are identical.
    width, height = before.size
    assert changed[3] < height * 0.35
    assert (
        ImageChops.difference(
            before.crop((0, changed[3], width, height)), after.crop((0, changed[3], width, height))
        ).getbbox()
        is None
    )
    # Each box is dark where the ID stood.
    assert after.crop(changed).getextrema()[0] == 0


def test_pdf_redaction_of_a_pdf_without_findings_keeps_it_readable():
    original = render_plain_pdf("原件", ["本决定自公布之日起施行。"])
    result = redaction.redact("pdf", original, [])
    assert result.findings == [] and "本决定自公布之日起施行" in result.text


def test_not_a_document_is_refused(og):
    req = services.request_file(actor=og.citizen, department=og.xihu_scjg, description="请公开许可决定")
    with pytest.raises(ValidationError) as exc:
        services.request_document_add(
            actor=og.officer, request=req, filename="x.exe", content=b"MZ\x90\x00binary"
        )
    assert exc.value.code == "bad_document"
    with pytest.raises(ValidationError) as exc:
        services.request_document_add(
            actor=og.officer, request=req, filename="big.txt", content=b"a" * (10 * 1024 * 1024 + 1)
        )
    assert exc.value.code == "bad_document"
    assert RequestDocument.objects.count() == 0


def test_partial_disclosure_end_to_end(og):
    req = services.request_file(
        actor=og.citizen, department=og.xihu_scjg, description="请公开某店的许可决定书"
    )
    doc = services.request_document_add(
        actor=og.officer, request=req, filename="决定书.docx", content=_docx(TEXT)
    )
    assert doc.kind == "docx" and doc.findings
    # A partial disclosure needs a checked document.
    with pytest.raises(ValidationError) as exc:
        services.request_reply(
            actor=og.officer, request=req, reply_type="partly", reply_text="见附件", legal_ground="第十五条"
        )
    assert exc.value.details["fields"] == {"documents": [exc.value.details["fields"]["documents"][0]]}
    services.request_document_redact(actor=og.officer, document=doc, extra_terms=["王五", "文三路1号"])
    services.request_document_check(actor=og.officer, document=doc)
    # Before the reply, the requester cannot download it.
    with pytest.raises(Exception):
        selectors.request_document(og.citizen, doc.pk, redacted=True)
    services.request_reply(
        actor=og.officer,
        request=req,
        reply_type="partly",
        reply_text="许可决定书见附件，个人信息已作区分处理。",
        legal_ground="《条例》第十五条：涉及个人隐私的政府信息不予公开。",
    )
    req.refresh_from_db()
    assert req.state == "replied" and req.letter_code
    sealed = seal_selectors.document_by_code(req.letter_code)
    assert sealed.kind == "opengov.reply" and sealed.department_id == og.xihu_scjg.pk
    assert seals.verify_document(sealed).status == "valid"
    pdf_text = "".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(seal_selectors.document_pdf(sealed))).pages
    )
    assert "答复书" in pdf_text and req.number in pdf_text.replace("\n", "")
    # The requester gets the redacted version, never the original; the public after publication.
    assert selectors.request_document(og.citizen, doc.pk, redacted=True).pk == doc.pk
    with pytest.raises(Exception):
        selectors.request_document(og.citizen, doc.pk, redacted=False)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Exception):
        selectors.request_document(AnonymousUser(), doc.pk, redacted=True)
    services.request_publication_set(actor=og.citizen, request=req, consent=True)
    assert selectors.request_document(AnonymousUser(), doc.pk, redacted=True).pk == doc.pk
    assert [r.number for r in selectors.published_requests()] == [req.number]


def test_check_refused_while_identifiers_remain(og):
    req = services.request_file(actor=og.citizen, department=og.xihu_scjg, description="请公开")
    doc = services.request_document_add(
        actor=og.officer, request=req, filename="a.txt", content=TEXT.encode()
    )
    # Simulate a redaction that missed one (e.g. the checker removed the automatic one).
    RequestDocument.objects.filter(pk=doc.pk).update(redacted_text="电话13912345678")
    doc.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.request_document_check(actor=og.officer, document=doc)
    assert exc.value.code == "personal_data"
    doc.refresh_from_db()
    assert doc.checked_at is None
