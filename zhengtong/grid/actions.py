"""The HTTP edge of the incident workflow: the pages and the API take an ``action`` name and call
the transition's own service function with the arguments that transition takes."""

from __future__ import annotations

from typing import Any

from zhengtong.grid import services
from zhengtong.grid.models import Incident

# action → (service function, the extra arguments it takes beyond actor, incident, note, version)
ACTIONS = {
    "register": (services.incident_register, ()),
    "reject": (services.incident_reject, ()),
    "merge": (services.incident_merge, ("merge_into",)),
    "reopen": (services.incident_reopen, ()),
    "dispatch": (services.incident_dispatch, ("department", "unit")),
    "reassign": (services.incident_reassign, ("department", "unit")),
    "suspend": (services.incident_suspend, ()),
    "resume": (services.incident_resume, ()),
    "dispose": (services.incident_dispose, ()),
    "return": (services.incident_return, ()),
    "escalate": (services.incident_escalate, ()),
    "verify": (services.incident_verify, ()),
    "verify_fail": (services.incident_verify_fail, ()),
    "close": (services.incident_close, ()),
}


def incident_action(
    *,
    actor: Any,
    incident: Incident,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    **arguments: Any,
) -> Incident:
    """Take ``action`` (a transition name) through its service function; ``arguments`` may hold
    every field a form or payload sends (``department``, ``unit``, ``merge_into``): each
    function gets only its own. An unknown action is a ValidationError."""
    if action not in ACTIONS:
        Incident.workflow.transition(action)  # raises the workflow's "unknown action"
    function, takes = ACTIONS[action]
    return function(
        actor=actor,
        incident=incident,
        note=note,
        expected_version=expected_version,
        **{name: arguments.get(name) for name in takes},
    )
