"""Tests about the project itself: settings documented, migrations complete, registries consistent."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DOC = ROOT / "docs" / "configuration.md"


def test_every_environment_variable_is_documented():
    import zhengtong.settings  # noqa: F401 - reading the settings fills DECLARED
    from zhengtong.conf import DECLARED

    assert {"SECRET_KEY", "DATABASE_URL", "ZHENGTONG_ENV"} <= set(DECLARED)
    # A missing document is a failure, not a skip: the doc is the contract with operators.
    assert CONFIG_DOC.is_file(), f"{CONFIG_DOC.relative_to(ROOT)} is missing"
    text = CONFIG_DOC.read_text(encoding="utf-8")
    undocumented = sorted(
        name for name in DECLARED if not re.search(rf"(?<![A-Z0-9_]){name}(?![A-Z0-9_])", text)
    )
    assert undocumented == []


def test_migrations_are_complete(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out, verbosity=1)
    except SystemExit as exc:
        raise AssertionError(
            f"makemigrations --check found model changes without migrations:\n{out.getvalue()}"
        ) from exc


def test_openapi_spec_is_valid_json_with_the_main_paths(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.content)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Zhengtong API"
    assert {"/api/v1/me", "/api/v1/registry/persons", "/api/v1/registry/imports"} <= set(spec["paths"])
    assert "get" in spec["paths"]["/api/v1/registry/persons"]
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_audit_action_has_a_label():
    import zhengtong.api  # noqa: F401 - importing the API loads every module's services
    from zhengtong.audit import actions

    registered = actions.all_actions()
    assert {"registry.import", "registry.person.create", "accounts.token.create"} <= set(registered)
    unlabelled = sorted(name for name, label in registered.items() if not label.strip() or label == name)
    assert unlabelled == []


def test_every_role_uses_registered_permissions():
    from zhengtong.accounts.roles import PERMISSIONS, ROLES

    unknown = {
        code: sorted(p for p in role.permissions if p != "*" and p not in PERMISSIONS)
        for code, role in ROLES.items()
    }
    assert {code: perms for code, perms in unknown.items() if perms} == {}
    assert all(str(role.label).strip() for role in ROLES.values())
    assert all(str(label).strip() for label in PERMISSIONS.values())


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    """makemessages over the whole package, then no untranslated or fuzzy entry (the catalogue on
    disk is restored afterwards, whatever happens)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    catalogues = [
        root / "zhengtong" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
        *sorted((root / "zhengtong").glob("*/locale/zh_Hans/LC_MESSAGES/django.po")),
    ]
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to extract UI strings")
    backups = []
    for i, po in enumerate(catalogues):
        backups.append((po, tmp_path / f"django-{i}.po"))
        shutil.copy2(po, backups[-1][1])
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-obsolete",
                "--ignore=.venv",
                "--ignore=node_modules",
                "--ignore=var",
                "--ignore=bench",
            ],
            cwd=root,
            check=True,
            capture_output=True,
        )
        result = subprocess.run(
            [sys.executable, "scripts/check_translations.py"], cwd=root, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        for po, backup in backups:
            shutil.copy2(backup, po)
