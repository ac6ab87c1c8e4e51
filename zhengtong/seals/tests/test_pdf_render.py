"""What makes a sealed document cheaper to render changes nothing in it: a plain text's paragraph
is the fragment reportlab's markup parser makes of it (``pdf._para``), so the document's bytes are
the same as with every paragraph parsed; styles are made once per process; the streams are still
Flate-encoded and readable."""

from __future__ import annotations

import datetime as dt
import zlib
from xml.sax.saxutils import escape

import pytest
from reportlab import rl_config
from reportlab.platypus import Paragraph

from zhengtong.seals import pdf

TEXTS = [
    "社会保险参保证明",
    "  居民  7  ",
    "可在 /seals/verify/ 用验证码核验，或用公布的公钥离线核验。",
    "ZJ-00000007",
    "全角\u3000空格\t和制表符",
    "x\u00a0y",
    "'quote\" x",
]


@pytest.fixture
def invariant():
    before = rl_config.invariant
    rl_config.invariant = 1  # no creation date or random document ID: equal inputs, equal bytes
    yield
    rl_config.invariant = before


def _parsed(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


@pytest.mark.parametrize("text", TEXTS)
def test_plain_text_paragraph_is_the_parsers_fragment(text):
    pdf._ensure_font()
    style = pdf._style("cell", 12, alignment=0)
    ours, parsed = pdf._para(text, style), _parsed(text, style)
    assert ours.text == parsed.text
    assert [f.__dict__ for f in ours.frags] == [f.__dict__ for f in parsed.frags]


def test_markup_characters_and_line_breaks_go_through_the_parser():
    pdf._ensure_font()
    style = pdf._style("cell", 12, alignment=0)
    for text in ("a & b <c>", "一行\n二行", "   "):
        ours, parsed = pdf._para(text, style), _parsed(text, style)
        assert [f.__dict__ for f in ours.frags] == [f.__dict__ for f in parsed.frags]
    # "<c>" stays text: the parser sees it escaped.
    assert "<c>" in "".join(f.text for f in pdf._para("a & b <c>", style).frags)


def test_styles_are_made_once_and_shared():
    assert pdf._style("body", 16, alignment=4, firstLineIndent=32) is pdf._style(
        "body", 16, firstLineIndent=32, alignment=4
    )
    assert pdf._style("body", 16, alignment=4) is not pdf._style("body", 14, alignment=4)


def _spec() -> pdf.DocumentSpec:
    return pdf.DocumentSpec(
        title="社会保险参保证明",
        issuer="西湖区人力资源和社会保障局",
        doc_number="ZJ-00000007",
        recipients="居民7",
        paragraphs=["本电子证照颁发给居民7，与纸质证照具有同等法律效力。", "A & B <核验>\n第二行。"],
        signer="西湖区人力资源和社会保障局",
        date=dt.date(2026, 12, 3),
        extra_rows=[("证照编号", "ZJ-00000007"), ("持证人", "居民7")],
        seal_name="西湖区人力资源和社会保障局",
    )


def test_document_bytes_are_those_of_fully_parsed_paragraphs(invariant, monkeypatch):
    ours = pdf.render_pdf(_spec())
    monkeypatch.setattr(pdf, "_para", _parsed)
    assert pdf.render_pdf(_spec()) == ours


def test_streams_are_flate_at_the_fastest_level_and_decode(invariant):
    data = pdf.render_pdf(_spec())
    assert data.count(b"/FlateDecode") >= 2 and b"/FontFile2" in data
    raw = b"BT /F1 12 Tf (x) Tj ET " * 200
    encoded = pdf.pdfdoc.PDFZCompress.encode(raw)
    assert zlib.decompress(encoded) == raw and encoded == zlib.compress(raw, 1)
