"""The audit trail as the core sees it: the registry of action names, and a port for recording.

The core sits below every other app, yet its workflow mechanism and its calendar overrides must
record audit events in the caller's transaction. As with permissions (``core.authz``), the audit
app installs its ``record`` here when it starts (``AuditConfig.ready``), so the dependency points
down in the code and the one write path stays ``zhengtong.audit.services.record``.

Action names are plain data and live here, so workflows can register theirs at import time,
before any app is ready; ``zhengtong.audit.actions`` is the same registry under its public name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise

_ACTIONS: dict[str, str | Promise] = {}
_recorder: Callable[..., Any] | None = None
# The CTE a ``record_statement`` names its event (the caller's statement reads
# ``(SELECT id FROM zt_audit_event)``).
EVENT_CTE = "zt_audit_event"
_statement: Callable[..., Any] | None = None


def register(actions: dict[str, str | Promise]) -> None:
    """Declare audit action names (``<module>.<object>.<verb>``) with their labels for people."""
    for name, label in actions.items():
        if "." not in name:
            raise ValueError(f"audit action {name!r} must be namespaced, e.g. 'registry.person.create'")
        _ACTIONS[name] = label


def label(name: str) -> str:
    return str(_ACTIONS.get(name, name))


def is_registered(name: str) -> bool:
    return name in _ACTIONS


def all_actions() -> dict[str, str]:
    return {name: str(lbl) for name, lbl in sorted(_ACTIONS.items())}


def install(recorder: Callable[..., Any], statement: Callable[..., Any] | None = None) -> None:
    """Called once by the audit app: ``recorder`` is ``zhengtong.audit.services.record``,
    ``statement`` is ``zhengtong.audit.services.record_statement``."""
    global _recorder, _statement
    _recorder = recorder
    _statement = statement


def record(**kwargs: Any) -> Any:
    """Record one audit event in the caller's transaction (see ``audit.services.record``)."""
    if _recorder is None:  # pragma: no cover - the audit app is always installed
        raise RuntimeError("no audit recorder installed (is zhengtong.audit in INSTALLED_APPS?)")
    return _recorder(**kwargs)


def record_statement(connection: Any, **kwargs: Any) -> tuple[str, list[Any], Callable[[int], Any]] | None:
    """The event ``record(**kwargs)`` would write, as data-modifying CTEs for the caller's own
    statement on PostgreSQL (``audit.services.record_statement``): (SQL, parameters, and the
    function to call with the event's id once the statement ran); None where the caller records
    through ``record`` instead (another database, or no statement port installed)."""
    if _statement is None or connection.vendor != "postgresql":
        return None
    return _statement(connection, **kwargs)
