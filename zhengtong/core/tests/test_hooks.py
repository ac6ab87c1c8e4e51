"""core.hooks: the declared hooks and registries, their documentation, and what modules contribute."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from django.apps import apps

from zhengtong.core import hooks
from zhengtong.core.hooks import HookError
from zhengtong.core.nav import NAV, nav_items, register_nav
from zhengtong.grid import complaints
from zhengtong.registry.management.commands.seed_demo import module_demos
from zhengtong.services import services

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def scratch(monkeypatch):
    """An empty table of hooks and registries, so a test's declarations do not outlive it."""
    monkeypatch.setattr(hooks, "_hooks", {})
    monkeypatch.setattr(hooks, "_registries", {})


# -- the mechanism ----------------------------------------------------------------------------


def test_keyed_hook_runs_the_receivers_of_its_key_with_keyword_arguments(scratch):
    hooks.declare("t.paid", args=("bill",), doc="d", keyed=True)
    seen = []

    @hooks.receiver("t.paid", key="case")
    def case_paid(*, bill):
        seen.append(("case", bill))

    hooks.connect("t.paid", lambda *, bill: seen.append(("other", bill)), key="other")
    hooks.fire("t.paid", key="case", bill=7)
    assert seen == [("case", 7)]
    hooks.fire("t.paid", key="nobody", bill=8)
    assert seen == [("case", 7)]


def test_registering_twice_is_idempotent_and_disconnect_removes(scratch):
    hook = hooks.declare("t.closed", args=("work_order",), doc="d")
    seen = []

    def fn(*, work_order):
        seen.append(work_order)

    hooks.connect("t.closed", fn)
    hooks.receiver("t.closed")(fn)
    assert hook.receivers() == [fn]
    hooks.fire("t.closed", work_order=1)
    assert seen == [1]
    hook.disconnect(fn)
    hooks.fire("t.closed", work_order=2)
    assert seen == [1]


def test_undeclared_hooks_and_wrong_arguments_are_errors(scratch):
    with pytest.raises(HookError, match="no hook 't.nope'"):
        hooks.fire("t.nope", x=1)
    with pytest.raises(HookError, match="no hook 't.nope'"):
        hooks.receiver("t.nope")
    with pytest.raises(HookError, match="no hook 't.nope'"):
        hooks.connect("t.nope", print)
    hooks.declare("t.keyed", args=("bill",), doc="d", keyed=True)
    hooks.declare("t.plain", args=("bill",), doc="d")
    with pytest.raises(HookError, match="takes"):
        hooks.fire("t.plain", bill=1, extra=2)
    with pytest.raises(HookError, match="keyed"):
        hooks.fire("t.keyed", bill=1)
    with pytest.raises(HookError, match="keyed"):
        hooks.connect("t.keyed", print)
    with pytest.raises(HookError, match="not keyed"):
        hooks.connect("t.plain", print, key="x")
    # Declaring again: the same declaration is returned, a different one refused.
    assert hooks.declare("t.plain", args=("bill",), doc="d") is hooks.get("t.plain")
    with pytest.raises(HookError, match="already declared differently"):
        hooks.declare("t.plain", args=("bill", "actor"), doc="d")
    assert [h.name for h in hooks.declared()] == ["t.keyed", "t.plain"]


def test_a_failing_receiver_propagates_unless_the_hook_is_isolated(scratch, caplog):
    seen = []

    def boom(*, work_order):
        raise RuntimeError("boom")

    def after(*, work_order):
        seen.append(work_order)

    hooks.declare("t.strict", args=("work_order",), doc="d")
    hooks.connect("t.strict", boom)
    hooks.connect("t.strict", after)
    with pytest.raises(RuntimeError, match="boom"):
        hooks.fire("t.strict", work_order=1)
    assert seen == []
    hooks.declare("t.isolated", args=("work_order",), doc="d", isolated=True)
    hooks.connect("t.isolated", boom)
    hooks.connect("t.isolated", after)
    hooks.fire("t.isolated", work_order=2)
    assert seen == [2]
    assert "of hook t.isolated failed" in caplog.text


def test_registry_keeps_one_entry_per_key_in_first_added_order(scratch):
    reg = hooks.registry("t.things", doc="d")
    assert hooks.registry("t.things", doc="d") is reg
    reg.add("b", 1)
    reg.add("a", 2)
    reg.add("b", 3)
    assert reg.items() == [3, 2]
    assert reg.get("a") == 2 and reg.get("zz") is None
    reg.remove("a")
    assert reg.items() == [3]
    assert [r.name for r in hooks.registries()] == ["t.things"]


# -- what the modules contribute ----------------------------------------------------------------


def test_the_modules_receivers_are_registered_at_start_up():
    assert hooks.get("payments.bill_paid").receivers(key="case") == [services.on_case_paid]
    assert hooks.get("payments.bill_paid").receivers(key="bundle") == [services.on_bundle_paid]
    assert hooks.get("workorders.work_order_closed").receivers(key="rating") == [
        services.on_rating_work_order_closed
    ]
    for kind in complaints.GRID_KINDS:
        assert hooks.get("workorders.work_order_opened").receivers(key=kind) == [
            complaints.incident_from_work_order
        ]


def test_api_prefixes_and_demo_order_are_declared_on_the_app_configs():
    prefixes = {config.label: prefix for config, prefix in hooks.app_attributes("api_prefix")}
    expected = {
        "core": "/",
        "audit": "/audit",
        "accounts": "/",
        "registry": "/registry",
        "privacy": "/privacy",
        "datastore": "/datastore",
        "seals": "/seals",
        "catalog": "/catalog",
        "services": "/services",
        "payments": "/payments",
        "notify": "/notifications",
        "workorders": "/workorders",
        "codes": "/codes",
        "grid": "/grid",
        "identity": "/identity",
    }
    assert expected.items() <= prefixes.items()
    # Every app of the project with an API module declares where it is mounted.
    with_api = {
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith("zhengtong.") and importlib.util.find_spec(f"{config.name}.api")
    }
    assert with_api <= set(prefixes)
    demos = [demo.__name__ for demo in module_demos()]
    known = [
        f"zhengtong.{m}.demo"
        for m in (
            "registry",
            "catalog",
            "payments",
            "notify",
            "workorders",
            "services",
            "codes",
            "grid",
            "identity",
        )
    ]
    assert [name for name in demos if name in known] == known


def test_nav_entries_are_ordered_and_one_per_area_and_url(monkeypatch):
    monkeypatch.setattr(NAV, "_entries", dict(NAV._entries))
    before = len(nav_items("main"))
    register_nav("main", "t:first", "First", order=-1)
    register_nav("main", "t:first", "First again", order=-1)
    items = nav_items("main")
    assert len(items) == before + 1
    assert (items[0].url_name, items[0].label) == ("t:first", "First again")
    with pytest.raises(ValueError, match="unknown navigation area"):
        register_nav("footer", "t:x", "X")


def test_no_module_below_the_portal_imports_it():
    offenders = []
    for path in (ROOT / "zhengtong").rglob("*.py"):
        rel = path.relative_to(ROOT / "zhengtong")
        if rel.parts[0] in ("portal", "urls.py", "settings.py") or "tests" in rel.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "zhengtong.portal" or n.startswith("zhengtong.portal.") for n in names):
                offenders.append(str(rel))
    assert offenders == []


# -- the docs ----------------------------------------------------------------------------------


def _section_tables() -> list[list[list[str]]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("\n## Hooks and registries\n", 1)[1].split("\n## ", 1)[0]
    tables: list[list[list[str]]] = []
    rows: list[list[str]] = []
    for line in section.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            tables.append(rows[2:])  # without the header and the |---| line
            rows = []
    return tables


def _code(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_docs_list_every_declared_hook_with_its_arguments_and_nothing_else():
    hook_table, registry_table = _section_tables()
    documented = {_code(row[0])[0]: tuple(_code(row[1])) for row in hook_table}
    assert documented == {h.name: h.args for h in hooks.declared()}
    isolated = {_code(row[0])[0] for row in hook_table if "isolated" in row[3]}
    assert isolated == {h.name for h in hooks.declared() if h.isolated}


def test_docs_list_every_registry_and_declarative_attribute_and_nothing_else():
    _hook_table, registry_table = _section_tables()
    documented = {_code(row[0])[0] for row in registry_table}
    assert documented == {r.name for r in hooks.registries()} | set(hooks.APP_ATTRIBUTES)
