"""Check that every UI string has a Chinese translation.

Usage: python scripts/check_translations.py [path/to/django.po ...]

Without arguments it checks zhengtong/locale/zh_Hans/LC_MESSAGES/django.po and every module's
catalogue (zhengtong/<module>/locale/zh_Hans/LC_MESSAGES/django.po: makemessages puts a module's
strings there when the module has a locale directory). Exits 1 and lists the
msgids that are untranslated, fuzzy, or whose python-format placeholders differ from the msgid;
exits 0 when the catalogue is complete. Run ``manage.py makemessages -l zh_Hans ...`` first so new
strings are in the catalogue (the test suite runs this script on the committed file).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "zhengtong" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def catalogues() -> list[Path]:
    """The project catalogue and every module's own (zhengtong/<module>/locale/...)."""
    return [DEFAULT, *sorted((ROOT / "zhengtong").glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))]


# %(name)s, %s, %d, %% ... as Python's %-formatting reads them.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGco%]")


def placeholders(text: str) -> list[str]:
    return sorted(p for p in PLACEHOLDER.findall(text) if p != "%%")


def problems(path: Path) -> list[str]:
    po = polib.pofile(str(path))
    found: list[str] = []
    for entry in po:
        if entry.obsolete:
            continue
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{entry.linenum}"
        if "fuzzy" in entry.flags:
            found.append(f"{where}: fuzzy: {entry.msgid!r}")
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not translations or any(not t.strip() for t in translations):
            found.append(f"{where}: untranslated: {entry.msgid!r}")
            continue
        if "python-format" in entry.flags:
            # Chinese has one plural form: it must hold the placeholders of the plural msgid.
            expected = placeholders(entry.msgid_plural or entry.msgid)
            for text in translations:
                if placeholders(text) != expected:
                    found.append(f"{where}: placeholders {placeholders(text)} != {expected}: {entry.msgid!r}")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or catalogues()
    found: list[str] = []
    for path in paths:
        if not path.exists():
            found.append(f"{path}: missing catalogue")
            continue
        found.extend(problems(path))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} problem(s): translate these in the .po file, then run compilemessages.")
        return 1
    print(f"translations complete: {', '.join(str(p.relative_to(ROOT)) for p in paths if p.exists())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
