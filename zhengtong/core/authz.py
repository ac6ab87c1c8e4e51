"""Permission checks as seen from the bottom layers (core, audit).

The one permission mechanism lives in accounts.permissions (roles granted at org units); core and
audit sit below accounts, so they call these functions, which the accounts app installs when it
starts (AccountsConfig.ready). Nothing here decides anything on its own.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.db.models import Q

_impl: ModuleType | None = None


def install(module: ModuleType) -> None:
    global _impl
    _impl = module


def _mechanism() -> ModuleType:
    if _impl is None:  # pragma: no cover - the accounts app is always installed
        raise RuntimeError("no permission mechanism installed (is zhengtong.accounts in INSTALLED_APPS?)")
    return _impl


def can(actor: Any, perm: str, org_unit: Any = None, department: Any = None) -> bool:
    return _mechanism().can(actor, perm, org_unit, department)


def can_on(actor: Any, perm: str, obj: Any) -> bool:
    return _mechanism().can_on(actor, perm, obj)


def ensure_can(actor: Any, perm: str, org_unit: Any = None, department: Any = None) -> None:
    _mechanism().ensure_can(actor, perm, org_unit, department)


def scope_q(actor: Any, perm: str, **kwargs: Any) -> Q:
    return _mechanism().scope_q(actor, perm, **kwargs)


def root_unit() -> Any:
    return _mechanism().root_unit()
