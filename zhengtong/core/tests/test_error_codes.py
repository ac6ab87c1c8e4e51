"""Every error code is a member of its module's enum, documented in docs/api.md, and raised by
name: a service never invents a code as a string literal."""

from __future__ import annotations

import ast
import re
from importlib import import_module
from pathlib import Path

from django.apps import apps

from zhengtong.core.errors import ErrorCode

ROOT = Path(__file__).resolve().parents[3]
EXCEPTIONS = {
    "ZhengtongError",
    "ValidationError",
    "NotFound",
    "PermissionDenied",
    "AuthenticationRequired",
    "Conflict",
    "RateLimited",
}


def _enums() -> list[type[ErrorCode]]:
    for config in apps.get_app_configs():
        if config.name.startswith("zhengtong.") and (Path(config.path) / "errors.py").exists():
            import_module(f"{config.name}.errors")
    found = []
    todo = list(ErrorCode.__subclasses__())
    while todo:
        enum = todo.pop()
        found.append(enum)
        todo.extend(enum.__subclasses__())
    return found


def _documented() -> dict[str, str]:
    """code -> enum name, from the tables under "## Error codes" in docs/api.md."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("\n## Error codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| `(\w+)` \|", section, flags=re.M)
    return dict(rows)


def test_each_code_is_defined_once_and_documented_with_its_enum():
    codes: dict[str, str] = {}
    for enum in _enums():
        for member in enum:
            assert member.value not in codes, (
                f"{member.value} is in {codes.get(member.value)} and {enum.__name__}"
            )
            assert member.description, f"{enum.__name__}.{member.name} has no description"
            codes[member.value] = enum.__name__
    assert _documented() == codes


def test_no_service_raises_a_code_that_is_not_an_enum_member():
    literals = []
    for path in sorted((ROOT / "zhengtong").rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in EXCEPTIONS and name != "for_field" and not name.endswith("Error"):
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    literals.append(f"{path.relative_to(ROOT)}:{node.lineno} code={kw.value.value!r}")
    assert literals == []
