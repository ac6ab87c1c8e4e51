"""Print the "Error codes" tables of docs/api.md from the modules' ErrorCode enums.

    .venv/bin/python scripts/error_codes.py > /tmp/codes.md    # then paste under "## Error codes"

(zhengtong/core/tests/test_error_codes.py checks that the docs and the enums agree.)
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402

from zhengtong.core.errors import ErrorCode  # noqa: E402


def main() -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("zhengtong.") or not (Path(config.path) / "errors.py").exists():
            continue
        module = import_module(f"{config.name}.errors")
        for enum in vars(module).values():
            if (
                isinstance(enum, type)
                and issubclass(enum, ErrorCode)
                and enum.__module__ == module.__name__
                and len(enum)
            ):
                print(f"\n### `{config.label}`: `{enum.__name__}`\n")
                print("| code | enum | when |")
                print("|---|---|---|")
                for member in enum:
                    print(f"| `{member.value}` | `{enum.__name__}` | {member.description} |")


if __name__ == "__main__":
    main()
