"""The CJK font's subsets are the same bytes when the glyph table is sliced without copying it
(``pdf._slice_glyf_without_copy``), and the registered font is the sliced one."""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from zhengtong.seals import pdf

TEXT = "西湖区人力资源和社会保障局社会保险参保证明张三ABC123，。（）"


def _font() -> TTFont:
    path = pdf._font_path()
    return TTFont("t", path, **({"subfontIndex": 0} if path.endswith(".ttc") else {}))


def test_sliced_glyph_table_gives_the_same_subset_bytes():
    plain, sliced = _font(), _font()
    pdf._slice_glyf_without_copy(sliced.face)
    subset = [ord(ch) for ch in dict.fromkeys(TEXT)]
    expected = plain.face.makeSubset(subset)
    assert len(expected) > 1000
    assert sliced.face.makeSubset(subset) == expected
    # Other tables are read as before; the glyph table hands out bytes.
    assert sliced.face.get_table("head") == plain.face.get_table("head")
    table = sliced.face.get_table("glyf")
    assert (
        len(table) == len(plain.face.get_table("glyf"))
        and table[10:20] == plain.face.get_table("glyf")[10:20]
    )
    assert isinstance(table[10:20], bytes)


def test_documents_render_with_the_sliced_font():
    pdf._ensure_font()
    face = pdfmetrics.getFont(pdf.FONT).face
    assert isinstance(face.get_table("glyf"), pdf._SlicedTable)
    data = pdf.render_pdf(
        pdf.DocumentSpec(title="社会保险参保证明", issuer="西湖区人力资源和社会保障局", paragraphs=[TEXT])
    )
    assert data.startswith(b"%PDF") and b"/FontFile2" in data
