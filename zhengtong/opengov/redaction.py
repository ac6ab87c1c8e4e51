"""Redaction of documents given in answer to a request (条例 §37 部分公开): text, PDF and DOCX.

The privacy module's detectors find personal identifiers (resident IDs, phone numbers, bank
cards, …); the person checking adds what no detector finds (names, addresses) as extra terms.
Everything found is replaced by ``█`` of the same length. The redacted file never carries the
original text: a DOCX is rewritten paragraph by paragraph (python-docx); in a PDF the found text
is removed from each page's content stream and a black box drawn where it stood, the rest of the
page unchanged (``opengov.pdf_redaction``), so nothing hidden under a box survives.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import docx
import pypdf
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.opengov.errors import OpengovError
from zhengtong.opengov.pdf_redaction import redact_pdf
from zhengtong.privacy.detectors import detect

BLOCK = "█"
KINDS = ("text", "pdf", "docx")


@dataclass(frozen=True)
class Redacted:
    text: str  # the redacted text (shown to the person checking)
    content: bytes  # the redacted file, same format and layout as the original
    findings: list[dict]  # what was removed: kind and masked value, never the value itself


def sniff(filename: str, content: bytes) -> str:
    """The document's format from its bytes (the name only tells text from unknown); a file that
    is none of text, PDF, DOCX is refused."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                if "word/document.xml" in zf.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
    elif filename.lower().endswith((".txt", ".md", ".csv")) and b"\x00" not in content:
        try:
            content.decode("utf-8")
            return "text"
        except UnicodeDecodeError:
            pass
    raise ValidationError.for_field(
        "file", _("must be a UTF-8 text, PDF or DOCX document"), code=OpengovError.BAD_DOCUMENT
    )


def _spans(text: str, extra_terms: list[str]) -> list[tuple[int, int, str, str]]:
    spans = [(f.start, f.end, f.kind, f.masked) for f in detect(text)]
    for term in extra_terms:
        for m in re.finditer(re.escape(term), text):
            spans.append((m.start(), m.end(), "manual", BLOCK * len(term)))
    spans.sort()
    merged: list[tuple[int, int, str, str]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], span[1]), last[2], last[3])
        else:
            merged.append(span)
    return merged


def redact_text(text: str, extra_terms: list[str]) -> tuple[str, list[dict]]:
    """``text`` with every identifier and extra term blocked out, and what was found."""
    out, pos, found = [], 0, []
    for start, end, kind, masked in _spans(text, extra_terms):
        out.append(text[pos:start])
        out.append(BLOCK * (end - start))
        found.append({"kind": kind, "masked": masked})
        pos = end
    out.append(text[pos:])
    return "".join(out), found


def _docx_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for section in document.sections:
        for part in (section.header, section.footer):
            yield from part.paragraphs


def _redact_docx(content: bytes, extra_terms: list[str]) -> Redacted:
    document = docx.Document(io.BytesIO(content))
    texts, findings = [], []
    for paragraph in _docx_paragraphs(document):
        original = paragraph.text
        redacted, found = redact_text(original, extra_terms)
        texts.append(redacted)
        if found:
            findings.extend(found)
            runs = paragraph.runs
            # The whole paragraph's text goes into its first run: a finding may span runs.
            if runs:
                runs[0].text = redacted
                for run in runs[1:]:
                    run.text = ""
            else:
                paragraph.text = redacted
    document.core_properties.author = ""
    document.core_properties.last_modified_by = ""
    document.core_properties.comments = ""
    out = io.BytesIO()
    document.save(out)
    return Redacted("\n".join(texts), out.getvalue(), findings)


_SENTENCE_END = tuple("。！？；：!?;:")


def _join_lines(text: str) -> str:
    """Lines wrapped by the PDF's layout joined again: an identifier broken across two lines
    must reach the detectors whole. A line ending a sentence keeps its break."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if out and out[-1] and not out[-1].endswith(_SENTENCE_END):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def pdf_text(content: bytes) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        return _join_lines("\n".join(page.extract_text() or "" for page in reader.pages))
    except (pypdf.errors.PdfReadError, ValueError, KeyError) as exc:
        raise ValidationError.for_field(
            "file", _("is not a readable PDF: %s") % type(exc).__name__, code=OpengovError.BAD_DOCUMENT
        ) from None


def document_text(kind: str, content: bytes) -> str:
    if kind == "text":
        return content.decode("utf-8")
    if kind == "pdf":
        return pdf_text(content)
    return "\n".join(p.text for p in _docx_paragraphs(docx.Document(io.BytesIO(content))))


def _redact_pdf(content: bytes, extra_terms: list[str]) -> Redacted:
    try:
        out, findings = redact_pdf(content, lambda text: _spans(text, extra_terms))
    except (pypdf.errors.PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError.for_field(
            "file", _("is not a readable PDF: %s") % type(exc).__name__, code=OpengovError.BAD_DOCUMENT
        ) from None
    # What the person checking sees (and the detectors check again) is read back from the result.
    return Redacted(pdf_text(out), out, findings)


def redact(kind: str, content: bytes, extra_terms: list[str]) -> Redacted:
    """Redact a document of ``kind`` (``text``, ``pdf``, ``docx``)."""
    if kind == "docx":
        return _redact_docx(content, extra_terms)
    if kind == "pdf":
        return _redact_pdf(content, extra_terms)
    redacted, findings = redact_text(content.decode("utf-8"), extra_terms)
    return Redacted(redacted, redacted.encode("utf-8"), findings)
