"""Figures of the house (issue 10's acceptance table), measured on the working tree.

    .venv/bin/python scripts/architecture_metrics.py        # -v lists the lazy imports

- the largest production modules (not tests, migrations, demo data or management commands);
- the share of imports of project code made inside functions (lazy imports);
- `try: import ... except ImportError` guards around project imports;
- `system_actor()` calls in domain code outside accounts and core.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "zhengtong"


def main(verbose: bool) -> None:
    files = [p for p in ROOT.rglob("*.py") if not {"migrations", "tests"} & set(p.parts)]
    production = [p for p in files if p.name != "demo.py" and "management" not in p.parts]
    sizes = sorted(((sum(1 for _ in p.open()), p) for p in production), reverse=True)
    print("largest production modules:")
    for lines, path in sizes[:5]:
        print(f"  {lines:5d}  {path.relative_to(ROOT.parent)}")
    top = inner = guards = actors = 0
    lazy: list[str] = []
    for path in files:
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if isinstance(node, ast.ImportFrom) and node.level:
                    module = "zhengtong." + (module or "")
                if not module or not module.startswith("zhengtong"):
                    continue
                n, in_function = node, False
                while n in parents:
                    n = parents[n]
                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
                        in_function = True
                        break
                if in_function:
                    inner += 1
                    lazy.append(f"  {path.relative_to(ROOT.parent)}:{node.lineno} {module}")
                else:
                    top += 1
            elif isinstance(node, ast.Try):
                for handler in node.handlers:
                    caught = ast.unparse(handler.type) if handler.type else ""
                    if "ImportError" in caught and any(
                        isinstance(s, ast.Import | ast.ImportFrom) and "zhengtong" in ast.unparse(s)
                        for s in node.body
                    ):
                        guards += 1
            elif (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("system_actor")
                and path.relative_to(ROOT).parts[0] not in ("accounts", "core")
                and path.name != "demo.py"
                and "management" not in path.parts
            ):
                actors += 1
    print(f"imports of project code: {top + inner}, inside functions: {inner} ({inner / (top + inner):.1%})")
    print(f"ImportError guards around project imports: {guards}")
    print(f"system_actor() calls in domain code outside accounts/core: {actors}")
    if verbose:
        print("\n".join(lazy))


if __name__ == "__main__":
    main("-v" in sys.argv)
