"""Official documents and notices as PDF, laid out after GB/T 9704-2012 (党政机关公文格式).

``render_pdf(DocumentSpec(...))`` returns the bytes of an A4 document: copy number and secrecy
level, the red issuer header with the document number and the red rule, the title, the main
recipients, the body with two-character indents, a facts table (notices), attachments, the issuer's
signature and date with the round red seal drawn over them, the copy-to block, and page numbers
("— 1 —", odd pages right, even pages left). Fonts are embedded (subset) from the first file of
``SEALS_FONT_PATHS`` that exists: a PDF with legal effect must not depend on the reader's fonts.
Signing the bytes is ``services.seal_document``'s job; nothing here signs.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab import rl_config
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.paragraph import cleanBlockQuotedText

FONT = "ZhengtongCJK"
RED = colors.Color(0.86, 0.08, 0.12)
SEAL_RED = colors.Color(0.86, 0.08, 0.12, alpha=0.85)
# GB/T 9704: 天头 37 mm, 订口 28 mm, 版心 156 mm × 225 mm.
TOP, LEFT, WIDTH, HEIGHT = 37 * mm, 28 * mm, 156 * mm, 225 * mm
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
_font_lock = threading.Lock()
# Streams Flate-compressed only, not also ASCII85-wrapped (a 7-bit transport encoding PDF does not
# need: the file is binary-safe): a quarter smaller streams, and without reportlab's optional C
# accelerator (rl-accel) the pure-Python ASCII85 encoder was 6% of a sealed document's CPU.
rl_config.useA85 = 0


class _FastFlate(pdfdoc.PDFStreamFilterZCompress):
    """reportlab's Flate filter at zlib's fastest level (1) instead of its default (6): the
    streams (the font subset, about 25 KB raw, most of all) compress in half the time, the file
    is 3–4% larger (23.9 KB against 23.1 KB for an e-licence). Still ``/FlateDecode``, read by
    every PDF reader as before; decoding is unchanged."""

    def encode(self, text):
        return zlib.compress(text.encode("utf8") if isinstance(text, str) else text, 1)


# reportlab's streams name this one filter object (``pdfdoc.PDFZCompress``) when they are written:
# zlib compression was a tenth of a sealed licence's render at the default level.
pdfdoc.PDFZCompress = _FastFlate()
_font_ready = False


@dataclass(frozen=True)
class DocumentSpec:
    title: str
    issuer: str = ""
    doc_number: str = ""
    recipients: str = ""
    paragraphs: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    signer: str = ""
    date: dt.date | None = None
    copy_to: str = ""
    copy_number: str = ""
    secrecy: str = ""
    red_header: bool = False
    extra_rows: list[tuple[str, str]] = field(default_factory=list)
    seal_name: str = ""


def _font_path() -> str:
    for candidate in settings.SEALS_FONT_PATHS:
        if Path(candidate).is_file():
            return candidate
    raise ImproperlyConfigured(
        "no CJK font for PDF documents: install fonts-wqy-zenhei (make setup does) or set SEALS_FONT_PATHS"
    )


class _SlicedTable:
    """A font table that hands out the slices asked of it (a glyph's bytes) without first copying
    the whole table. reportlab's subsetting reads the ``glyf`` table with ``get_table``, a copy
    of it (about 10 MB for WenQuanYi Zen Hei) for every font subset of every document, to slice
    out the few glyphs the document uses: that copy was most of a one-page document's render
    time. The subset's bytes are the same (tests compare them)."""

    __slots__ = ("_view",)

    def __init__(self, data: bytes, pos: int, length: int):
        self._view = memoryview(data)[pos : pos + length]

    def __getitem__(self, index):
        item = self._view[index]
        return item.tobytes() if isinstance(item, memoryview) else item

    def __len__(self) -> int:
        return len(self._view)


def _slice_glyf_without_copy(face) -> None:
    """Make ``face.get_table("glyf")`` a ``_SlicedTable`` (this face only; other tables as they were)."""
    plain = face.get_table

    def get_table(tag):
        if tag != "glyf":
            return plain(tag)
        pos, length = face.get_table_pos(tag)
        return _SlicedTable(face._ttf_data, pos, length)

    face.get_table = get_table


def _ensure_font() -> None:
    global _font_ready
    if _font_ready:
        return
    with _font_lock:
        if not _font_ready:
            path = _font_path()
            options = {"subfontIndex": 0} if path.endswith(".ttc") else {}
            font = TTFont(FONT, path, **options)
            _slice_glyf_without_copy(font.face)
            pdfmetrics.registerFont(font)
            _font_ready = True


def _style(name: str, size: float, **kw) -> ParagraphStyle:
    """The paragraph style, made once per process for each set of arguments (a document used to
    build its ten styles afresh); nothing changes a style once made."""
    return _style_made(name, size, tuple(sorted(kw.items())))


@functools.lru_cache(maxsize=256)
def _style_made(name: str, size: float, kw: tuple) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=size * 1.75, wordWrap="CJK", **dict(kw))


@functools.lru_cache(maxsize=256)
def _plain_fragment(style: ParagraphStyle):
    """The fragment reportlab's markup parser makes of a plain text in ``style`` (text aside)."""
    return Paragraph("x", style).frags[0]


def chinese_date(day: dt.date) -> str:
    """GB/T 9704-2012 writes the date in Arabic numerals: 2026年12月2日."""
    return f"{day.year}年{day.month}月{day.day}日"


class Rule(Flowable):
    """A horizontal rule across the type area (the red separator, or the lines of the 版记)."""

    def __init__(self, colour=RED, thickness: float = 1.0, space: float = 2 * mm):
        super().__init__()
        self.colour, self.thickness, self.space = colour, thickness, space

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.space * 2

    def draw(self):
        self.canv.setStrokeColor(self.colour)
        self.canv.setLineWidth(self.thickness)
        self.canv.line(0, self.space, self.width, self.space)


class SignatureBlock(Flowable):
    """The issuer's name and the date, right-aligned, with the round seal pressed over them."""

    def __init__(self, signer: str, date_text: str, seal_name: str):
        super().__init__()
        self.signer, self.date_text, self.seal_name = signer, date_text, seal_name

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, 40 * mm if self.seal_name else 24 * mm

    def draw(self):
        c = self.canv
        c.setFillColor(colors.black)
        c.setFont(FONT, BODY_PT)
        right = self.width - 4 * BODY_PT  # 右空四字
        base = 10 * mm
        date_w = pdfmetrics.stringWidth(self.date_text, FONT, BODY_PT)
        signer_w = pdfmetrics.stringWidth(self.signer, FONT, BODY_PT)
        centre_x = right - date_w / 2
        if self.signer:
            c.drawString(centre_x - signer_w / 2, base + BODY_PT * 1.75, self.signer)
        c.drawString(right - date_w, base, self.date_text)
        if self.seal_name:
            draw_seal(c, centre_x, base + BODY_PT * 1.2, self.seal_name)


def draw_seal(c, cx: float, cy: float, name: str, radius: float = 21 * mm) -> None:
    """A round official seal: red ring, five-pointed star, the issuer's name along the upper arc."""
    c.saveState()
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(1.6 * mm * 0.5)
    c.circle(cx, cy, radius, stroke=1, fill=0)
    star_r = radius * 0.32
    points = []
    for i in range(10):
        r = star_r if i % 2 == 0 else star_r * 0.38
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    path = c.beginPath()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
    chars = list(name[:24])
    size = max(7.0, min(12.0, 150.0 / max(len(chars), 1)))
    span = min(250.0, 14.0 * len(chars) + 40) if len(chars) > 1 else 0
    start = 90 + span / 2
    step = span / (len(chars) - 1) if len(chars) > 1 else 0
    text_r = radius - size * 1.3
    # One text object for the whole arc, each character placed by its own text matrix (rotated to
    # the tangent, centred on its point of the arc): what a saveState, translate, rotate, setFont
    # and centred string per character drew, without a graphics state and a text object each.
    text = c.beginText()
    text.setFont(FONT, size)
    for i, ch in enumerate(chars):
        angle = math.radians(start - i * step)
        cos, sin = math.sin(angle), -math.cos(angle)  # the rotation by (angle - 90°)
        dx, dy = -pdfmetrics.stringWidth(ch, FONT, size) / 2, -size * 0.35
        x, y = cx + text_r * math.cos(angle), cy + text_r * math.sin(angle)
        text.setTextTransform(cos, sin, -sin, cos, x + dx * cos - dy * sin, y + dx * sin + dy * cos)
        text.textOut(ch)
    c.drawText(text)
    c.restoreState()


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 14)
    text = f"— {doc.page} —"
    y = 35 * mm - 10 * mm
    if doc.page % 2:
        canvas.drawRightString(LEFT + WIDTH - 14, y, text)
    else:
        canvas.drawString(LEFT + 14, y, text)
    canvas.restoreState()


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain ``text`` (escaped; a newline is a line break). A one-line text without
    ``&<>`` becomes the one fragment reportlab's markup parser would make of it (the style's
    fragment with the text's whitespace collapsed as the parser's cleaner collapses it) without
    running the parser, a tenth of a sealed licence's render; anything else is parsed."""
    if "\n" in text or "&" in text or "<" in text or ">" in text:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)
    clean = cleanBlockQuotedText(text)
    if not clean:
        return Paragraph(text, style)
    return Paragraph(clean, style, frags=[_plain_fragment(style).clone(text=clean, link=[], us_lines=[])])


def story(spec: DocumentSpec, blocks: list | tuple = (), *, keep_together: bool = True) -> list:
    """The flowables of the document, in GB/T 9704 order; ``blocks`` (tables, charts) follow the
    body paragraphs. ``keep_together=False`` leaves out the grouping that keeps the signature with
    the body's last lines (for a layout known to fit on one page, where it changes nothing)."""
    small = _style("small", BODY_PT, alignment=TA_LEFT)
    items: list = []
    if spec.copy_number:
        items.append(_para(spec.copy_number, small))
    if spec.secrecy:
        items.append(_para(spec.secrecy, small))
    if spec.red_header and spec.issuer:
        size = min(36.0, (WIDTH * 0.92) / max(len(spec.issuer) + 2, 1))
        header = _style("header", size, alignment=TA_CENTER, textColor=RED)
        items += [Spacer(1, 6 * mm), _para(spec.issuer + "文件", header), Spacer(1, 8 * mm)]
        if spec.doc_number:
            items.append(_para(spec.doc_number, _style("number", BODY_PT, alignment=TA_CENTER)))
        items += [Rule(RED, 1.2, 2 * mm), Spacer(1, BODY_PT)]
    elif spec.issuer:
        items.append(_para(spec.issuer, _style("issuer", BODY_PT, alignment=TA_CENTER)))
        if spec.doc_number:
            items.append(_para(spec.doc_number, _style("number", BODY_PT, alignment=TA_CENTER)))
        items.append(Spacer(1, BODY_PT))
    items.append(_para(spec.title, _style("title", TITLE_PT, alignment=TA_CENTER)))
    items.append(Spacer(1, BODY_PT))
    if spec.recipients:
        items.append(_para(spec.recipients, _style("recipients", BODY_PT, alignment=TA_LEFT)))
    body = _style("body", BODY_PT, alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_PT)
    items += [_para(text, body) for text in spec.paragraphs if text.strip()]
    items += list(blocks)
    last_body = len(items) - 1 if any(text.strip() for text in spec.paragraphs) else len(items)
    if spec.extra_rows:
        cell = _style("cell", 12, alignment=TA_LEFT)
        table = Table(
            [[_para(label, cell), _para(value, cell)] for label, value in spec.extra_rows],
            colWidths=[40 * mm, WIDTH - 40 * mm],
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.95, 0.95, 0.95)),
                ]
            )
        )
        items += [Spacer(1, BODY_PT / 2), table, Spacer(1, BODY_PT / 2)]
    if spec.attachments:
        attach = _style(
            "attach", BODY_PT, alignment=TA_LEFT, leftIndent=5 * BODY_PT, firstLineIndent=-3 * BODY_PT
        )
        for i, name in enumerate(spec.attachments, start=1):
            prefix = "附件：" if i == 1 else "　　　"
            number = f"{i}．" if len(spec.attachments) > 1 else ""
            items.append(_para(f"{prefix}{number}{name}", attach))
    if keep_together and (spec.signer or spec.date or spec.seal_name):
        # GB/T 9704 7.3.5.3: the signature and seal never stand alone on a page; the last lines of
        # the body (with the facts table and attachments after them) move with them.
        tail = items[last_body:]
        del items[last_body:]
        signature = SignatureBlock(spec.signer, chinese_date(spec.date) if spec.date else "", spec.seal_name)
        items.append(KeepTogether([*tail, Spacer(1, BODY_PT), signature]))
    elif spec.signer or spec.date or spec.seal_name:
        signature = SignatureBlock(spec.signer, chinese_date(spec.date) if spec.date else "", spec.seal_name)
        items += [Spacer(1, BODY_PT), signature]
    if spec.copy_to:
        items += [Spacer(1, BODY_PT), Rule(colors.black, 0.8, 1 * mm)]
        items.append(
            _para(spec.copy_to, _style("copyto", 14, alignment=TA_LEFT, leftIndent=14, firstLineIndent=0))
        )
        items.append(Rule(colors.black, 0.8, 1 * mm))
    return items


def heading(text: str) -> Paragraph:
    """A section heading for ``render_pdf(..., blocks=)`` (黑体-sized, left)."""
    _ensure_font()
    return _para(text, _style("heading", BODY_PT, alignment=TA_LEFT, spaceBefore=BODY_PT / 2))


def data_table(header: list[str], rows: list[list[str]], *, col_widths: list[float] | None = None) -> Table:
    """A ruled table with a shaded header row, for ``render_pdf(..., blocks=)``: the figures of a
    report (the cockpit's briefing)."""
    _ensure_font()
    cell = _style("tcell", 10.5, alignment=TA_LEFT)
    data = [[_para(str(h), cell) for h in header]] + [[_para(str(v), cell) for v in row] for row in rows]
    table = Table(data, colWidths=col_widths or [WIDTH / max(len(header), 1)] * len(header), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
            ]
        )
    )
    return table


def bar_chart(labels: list[str], values: list[float], *, height: float = 55 * mm) -> Flowable:
    """A horizontal-axis bar chart (reportlab graphics, CJK labels) for ``render_pdf(..., blocks=)``."""
    _ensure_font()
    drawing = Drawing(WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 12 * mm, WIDTH - 16 * mm, height - 16 * mm
    chart.data = [[float(v or 0) for v in values] or [0.0]]
    chart.categoryAxis.categoryNames = [str(lbl)[:6] for lbl in labels] or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.Color(0.17, 0.44, 0.71)
    drawing.add(chart)
    return drawing


def render_pdf(spec: DocumentSpec, blocks: list | tuple = ()) -> bytes:
    """The document as PDF bytes (A4, fonts embedded); ``blocks`` are extra flowables after the
    body (``heading``, ``data_table``, ``bar_chart``)."""
    _ensure_font()
    if not blocks:
        # Most documents (e-licences, notices) fit on one page, where keeping the signature with
        # the body's last lines changes nothing but costs a second layout of them (KeepTogether
        # wraps its content to measure it, then the frame wraps it again): a fifth of the render.
        # Laid out without it first; again with it only when that layout takes a second page.
        pdf, pages = _build(spec, (), keep_together=False)
        if pages == 1:
            return pdf
    return _build(spec, blocks, keep_together=True)[0]


def _build(spec: DocumentSpec, blocks: list | tuple, *, keep_together: bool) -> tuple[bytes, int]:
    """The PDF bytes and the number of pages."""
    _ensure_font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=A4[0] - LEFT - WIDTH,
        topMargin=TOP,
        bottomMargin=A4[1] - TOP - HEIGHT,
        title=spec.title,
        author=spec.signer or spec.issuer,
        creator="Zhengtong",
    )
    doc.build(
        story(spec, blocks, keep_together=keep_together), onFirstPage=_page_number, onLaterPages=_page_number
    )
    return out.getvalue(), doc.page


__all__ = ["DocumentSpec", "bar_chart", "chinese_date", "data_table", "draw_seal", "heading", "render_pdf"]
