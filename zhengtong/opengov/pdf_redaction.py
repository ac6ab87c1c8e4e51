"""PDF redaction that keeps the page: the found text is taken out of the content stream and a
black box is drawn where it stood; everything else on the page stays as it was.

Each page's content stream is read with pypdf (``ContentStream``) while the text state is followed
as a viewer does (``q``/``Q``, ``cm``, ``BT``, ``Tf``, ``Tc``, ``Tw``, ``Tz``, ``TL``, ``Ts``, ``Td``,
``TD``, ``Tm``, ``T*``, ``Tj``, ``TJ``, ``'``, ``"``): every glyph gets its character (the font's
``ToUnicode`` map, through pypdf's ``Font``), its width and the box it covers on the page. The
page's text (lines wrapped by the layout joined again, so an identifier broken across two lines is
found whole) goes through the same finding as the other formats. A show-text operation holding a
found glyph is rewritten as a ``TJ`` array in which each removed glyph is replaced by a move of
its own width, so the glyphs left stand exactly where they stood; the boxes are drawn after the
page's own content. The redacted file's text is read back from the result, so what the person
checking sees is what a reader of the file can extract.

Limits: text inside form XObjects and annotations is not rewritten (it shows in the text read back,
where the detectors and the person checking see it, and the check is then refused); glyphs a font
cannot map to characters (some Type 3 fonts) are not found; a scanned page has no text to find.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdf
from pypdf.generic import ArrayObject, ContentStream, FloatObject, NameObject, NumberObject
from pypdf.generic._font import Font

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_SENTENCE_END = tuple("。！？；：!?;:")


def _mult(m: Matrix, n: Matrix) -> Matrix:
    """m × n in PDF's row-vector convention (m applied first)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


@dataclass
class _Glyph:
    op: int  # index of the show-text operation in the page's operations
    item: int  # index of the string within the operation's strings
    code: bytes  # the character code in the string
    text: str  # what it stands for
    advance: float  # its advance in thousandths of text space (width + spacing), for a TJ move
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 on the page
    baseline: tuple[float, float]  # where it starts on the page
    size: float  # the font size on the page (for line breaks)


@dataclass
class _FontInfo:
    font: Font
    two_bytes: bool


def _font_info(resources, name, cache: dict) -> _FontInfo | None:
    if name in cache:
        return cache[name]
    info = None
    fonts = resources.get("/Font") if resources is not None else None
    if fonts is not None and name in fonts.get_object():
        font_dict = fonts.get_object()[name].get_object()
        info = _FontInfo(Font.from_font_resource(font_dict), font_dict.get("/Subtype") == "/Type0")
    cache[name] = info
    return info


def _bytes(value) -> bytes:
    """A string operand's bytes (pypdf decodes some strings to text; the codes are the bytes)."""
    if hasattr(value, "get_original_bytes"):
        return value.get_original_bytes()
    return bytes(value)


def _codes(info: _FontInfo, data: bytes) -> list[bytes]:
    if info.two_bytes:
        return [data[i : i + 2] for i in range(0, len(data) - 1, 2)]
    return [data[i : i + 1] for i in range(len(data))]


def _char(info: _FontInfo, code: bytes) -> str:
    key = chr(int.from_bytes(code, "big"))
    cmap = info.font.character_map
    if key in cmap:
        value = cmap[key]
        return value if isinstance(value, str) else ""
    if info.two_bytes:
        return ""
    enc = info.font.encoding
    if isinstance(enc, dict):
        return enc.get(code[0], "")
    try:
        return code.decode(enc if isinstance(enc, str) else "latin-1")
    except (LookupError, UnicodeDecodeError):
        return ""


def _width(info: _FontInfo, code: bytes) -> float:
    widths = info.font.character_widths
    return float(widths.get(chr(int.from_bytes(code, "big")), widths.get("default", 500)))


class _State:
    def __init__(self):
        self.ctm: Matrix = IDENTITY
        self.font: _FontInfo | None = None
        self.size = 0.0
        self.tc = self.tw = self.rise = self.leading = 0.0
        self.th = 1.0

    def copy(self) -> _State:
        other = _State()
        other.__dict__.update(self.__dict__)
        return other


def _walk(page) -> tuple[list, list[_Glyph]]:
    """The page's operations and its glyphs in content order."""
    content = ContentStream(page.get_contents(), page.pdf)
    ops = content.operations
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    fonts: dict = {}
    glyphs: list[_Glyph] = []
    st, stack = _State(), []
    tm = tlm = IDENTITY

    def newline(tx: float, ty: float) -> None:
        nonlocal tm, tlm
        tlm = _mult((1, 0, 0, 1, tx, ty), tlm)
        tm = tlm

    def show(op_index: int, item: int, data: bytes) -> None:
        nonlocal tm
        info = st.font
        if info is None or st.size == 0:
            return
        for code in _codes(info, data):
            w0 = _width(info, code) / 1000.0
            space = st.tw if (not info.two_bytes and code == b" ") else 0.0
            tx = (w0 * st.size + st.tc + space) * st.th
            trm = _mult(_mult((st.size * st.th, 0, 0, st.size, 0, st.rise), tm), st.ctm)
            corners = [_apply(trm, x, y) for x in (0.0, w0) for y in (-0.2, 0.9)]
            xs, ys = [p[0] for p in corners], [p[1] for p in corners]
            scale = (abs(trm[2]) ** 2 + abs(trm[3]) ** 2) ** 0.5
            glyphs.append(
                _Glyph(
                    op_index,
                    item,
                    code,
                    _char(info, code),
                    tx / (st.size * st.th) * 1000.0,
                    (min(xs), min(ys), max(xs), max(ys)),
                    _apply(trm, 0, 0),
                    scale,
                )
            )
            tm = _mult((1, 0, 0, 1, tx, 0), tm)

    for index, (operands, operator) in enumerate(ops):
        if operator == b"q":
            stack.append(st.copy())
        elif operator == b"Q" and stack:
            st = stack.pop()
        elif operator == b"cm" and len(operands) == 6:
            st.ctm = _mult(tuple(float(x) for x in operands), st.ctm)
        elif operator == b"BT":
            tm = tlm = IDENTITY
        elif operator == b"Tf" and len(operands) == 2:
            st.font = _font_info(resources, operands[0], fonts)
            st.size = float(operands[1])
        elif operator == b"Tc" and operands:
            st.tc = float(operands[0])
        elif operator == b"Tw" and operands:
            st.tw = float(operands[0])
        elif operator == b"Tz" and operands:
            st.th = float(operands[0]) / 100.0
        elif operator == b"TL" and operands:
            st.leading = float(operands[0])
        elif operator == b"Ts" and operands:
            st.rise = float(operands[0])
        elif operator == b"Td" and len(operands) == 2:
            newline(float(operands[0]), float(operands[1]))
        elif operator == b"TD" and len(operands) == 2:
            st.leading = -float(operands[1])
            newline(float(operands[0]), float(operands[1]))
        elif operator == b"Tm" and len(operands) == 6:
            tm = tlm = tuple(float(x) for x in operands)
        elif operator == b"T*":
            newline(0, -st.leading)
        elif operator == b"Tj" and operands:
            show(index, 0, _bytes(operands[0]))
        elif operator == b"'" and operands:
            newline(0, -st.leading)
            show(index, 0, _bytes(operands[0]))
        elif operator == b'"' and len(operands) == 3:
            st.tw, st.tc = float(operands[0]), float(operands[1])
            newline(0, -st.leading)
            show(index, 0, _bytes(operands[2]))
        elif operator == b"TJ" and operands:
            for item, part in enumerate(operands[0]):
                if isinstance(part, (int, float, FloatObject, NumberObject)):
                    tm = _mult((1, 0, 0, 1, -float(part) / 1000.0 * st.size * st.th, 0), tm)
                else:
                    show(index, item, _bytes(part))
    return ops, glyphs


def _page_text(glyphs: list[_Glyph]) -> tuple[str, list[int | None]]:
    """The page's text and, per character, the glyph it comes from (None: a line break)."""
    chars: list[str] = []
    owner: list[int | None] = []
    prev = None
    for i, g in enumerate(glyphs):
        if prev is not None:
            same_line = abs(g.baseline[1] - prev.baseline[1]) < 0.5 * max(g.size, 1)
            if not same_line:
                line_end = "".join(chars).rstrip().split("\n")[-1]
                if line_end.endswith(_SENTENCE_END):
                    chars.append("\n")
                    owner.append(None)
        for ch in g.text:
            chars.append(ch)
            owner.append(i)
        prev = g
    return "".join(chars), owner


def _rewrite(ops: list, glyphs: list[_Glyph], removed: set[int]) -> list:
    by_op: dict[int, list[int]] = {}
    for i in removed:
        by_op.setdefault(glyphs[i].op, []).append(i)
    out: list = []
    per_op_glyphs: dict[int, list[int]] = {}
    for i, g in enumerate(glyphs):
        if g.op in by_op:
            per_op_glyphs.setdefault(g.op, []).append(i)
    for index, (operands, operator) in enumerate(ops):
        if index not in by_op:
            out.append((operands, operator))
            continue
        if operator == b"TJ":
            parts = list(operands[0])
        elif operator == b'"':
            out.append(([operands[0]], b"Tw"))
            out.append(([operands[1]], b"Tc"))
            out.append(([], b"T*"))
            parts = [operands[2]]
        else:
            if operator == b"'":
                out.append(([], b"T*"))
            parts = [operands[0]]
        string_glyphs: dict[int, list[int]] = {}
        for i in per_op_glyphs[index]:
            string_glyphs.setdefault(glyphs[i].item, []).append(i)
        array = ArrayObject()
        for item, part in enumerate(parts):
            if item not in string_glyphs:
                array.append(part)
                continue
            kept = b""
            for i in string_glyphs[item]:
                g = glyphs[i]
                if i in removed:
                    if kept:
                        array.append(pypdf.generic.ByteStringObject(kept))
                        kept = b""
                    array.append(FloatObject(-round(g.advance, 3)))
                else:
                    kept += g.code
            if kept:
                array.append(pypdf.generic.ByteStringObject(kept))
        out.append(([array], b"TJ"))
    return out


def _boxes(glyphs: list[_Glyph], removed: set[int]) -> list:
    """Black rectangles over the removed glyphs, one per run on a line."""
    runs: list[list[float]] = []
    last = None
    for i in sorted(removed):
        x0, y0, x1, y1 = glyphs[i].box
        if last is not None and last == i - 1 and abs(runs[-1][1] - y0) < 0.5 and abs(runs[-1][3] - y1) < 0.5:
            run = runs[-1]
            run[0], run[2] = min(run[0], x0), max(run[2], x1)
        else:
            runs.append([x0, y0, x1, y1])
        last = i
    ops = [([], b"q"), ([NumberObject(0), NumberObject(0), NumberObject(0)], b"rg")]
    for x0, y0, x1, y1 in runs:
        ops.append(([FloatObject(round(v, 2)) for v in (x0, y0, x1 - x0, y1 - y0)], b"re"))
    ops += [([], b"f"), ([], b"Q")]
    return ops


def redact_pdf(content: bytes, find) -> tuple[bytes, list[dict]]:
    """``content`` with what ``find(text) -> [(start, end, kind, masked)]`` finds removed from every
    page and boxed over; returns the new file and the findings."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    writer = pypdf.PdfWriter(clone_from=reader)
    findings: list[dict] = []
    for page in writer.pages:
        if page.get("/Contents") is None:
            continue
        ops, glyphs = _walk(page)
        text, owner = _page_text(glyphs)
        removed: set[int] = set()
        for start, end, kind, masked in find(text):
            findings.append({"kind": kind, "masked": masked})
            removed.update(o for o in owner[start:end] if o is not None)
        if not removed:
            continue
        new_ops = [([], b"q"), *_rewrite(ops, glyphs, removed), ([], b"Q"), *_boxes(glyphs, removed)]
        stream = ContentStream(None, writer)
        stream.operations = new_ops
        page.replace_contents(stream)
    # The original's metadata (author, title, …) may name people: none of it is kept.
    writer.metadata = {NameObject("/Producer"): "Zhengtong"}
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), findings
