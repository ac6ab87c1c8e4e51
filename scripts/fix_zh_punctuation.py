"""Turn half-width punctuation next to Chinese characters into full-width in the zh-Hans catalogues.

Only ``msgstr`` lines change, in place (the files keep their wrapping, so other changes merge):
``已受理,审查中`` → ``已受理，审查中``, ``咨询投诉(12345)`` → ``咨询投诉（12345）``. Placeholders
(``%(name)s``, ``{name}``) are left alone. ``tests/test_typography.py`` finds what is left.

    .venv/bin/python scripts/fix_zh_punctuation.py [files…]   # default: every zh_Hans django.po
    .venv/bin/python scripts/fix_zh_punctuation.py zhengtong/services/demo.py   # Chinese demo data

(Check the diff of a Python file: CSV lines and SQL in string literals must keep ASCII commas.)
    .venv/bin/python scripts/fix_zh_punctuation.py zhengtong/services/demo.py   # Chinese demo data

(Check the diff of a Python file: CSV lines and SQL in string literals must keep ASCII commas.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HAN = "\u3400-\u9fff\u3000-\u303f\uff00-\uffef"
FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）", ".": "。"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{[^{}]*\}|https?://\S+")


def _fix(text: str) -> str:
    keep: list[str] = []

    def hide(m: re.Match) -> str:
        keep.append(m.group(0))
        return f"\0{len(keep) - 1}\0"

    text = PLACEHOLDER.sub(hide, text)
    # A bracketed part next to, or holding, Chinese text takes full-width brackets.
    text = re.sub(
        rf"(?<=[{HAN}])\s?\(([^()]*)\)|\(([^()]*[{HAN}][^()]*)\)",
        lambda m: "（" + (m.group(1) if m.group(1) is not None else m.group(2)) + "）",
        text,
    )
    text = re.sub(rf"\(([^()]*)\)\s?(?=[{HAN}])", lambda m: "（" + m.group(1) + "）", text)
    # Stops and pauses after Chinese text (a space after them goes: full-width marks carry their own).
    text = re.sub(rf"(?<=[{HAN}])\s?([,:;?!])\s?", lambda m: FULL[m.group(1)], text)
    text = re.sub(rf"(?<=[{HAN}])\.(?=\s|$|\\n|\")", "。", text)
    text = re.sub(rf"([,:;?!])\s?(?=[{HAN}])", lambda m: FULL[m.group(1)], text)
    return re.sub(r"\0(\d+)\0", lambda m: keep[int(m.group(1))], text)


def fix_file(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    changed = 0
    in_msgstr = False
    for i, line in enumerate(lines):
        if line.startswith("msgstr"):
            in_msgstr = True
        elif not line.startswith('"'):
            in_msgstr = False
        if not in_msgstr:
            continue
        start = line.index('"')
        new = line[: start + 1] + _fix(line[start + 1 : -1]) + line[-1]
        if new != line:
            lines[i] = new
            changed += 1
    if changed:
        path.write_text("\n".join(lines), encoding="utf-8")
    return changed


def fix_python(path: Path) -> int:
    """Chinese text in the string literals of a Python file (demo data): same rules, in place.
    In f-strings PLACEHOLDER hides every {…}, so the code in their braces stays as it is."""
    import io
    import tokenize

    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING or not re.search(f"[{HAN}]", tok.string) or tok.start[0] != tok.end[0]:
            continue
        prefix = re.match(r"[A-Za-z]*", tok.string).group(0)
        quote = tok.string[len(prefix)]
        if tok.string[len(prefix) : len(prefix) + 3] in ('"""', "'''"):
            continue
        body = tok.string[len(prefix) + 1 : -1]
        if re.match(r"[A-Za-z]{2,}[ a-z]", body):
            continue  # English text that names a place in Chinese keeps English punctuation
        fixed = _fix(body)
        if fixed != body:
            edits.append((tok.start, tok.end, tok.string[: len(prefix) + 1] + fixed + quote))
    for (row, col), (_row, end), text in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + text + line[end:]
    if edits:
        path.write_text("".join(lines), encoding="utf-8")
    return len(edits)


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or sorted(
        ROOT.glob("zhengtong/**/locale/zh_Hans/LC_MESSAGES/django.po")
    )
    for path in files:
        n = fix_python(path) if path.suffix == ".py" else fix_file(path)
        if n:
            print(f"{path}: {n} lines")


if __name__ == "__main__":
    main()
