"""The HTTP edge of the work-order workflow: the pages and the API take an ``action`` name and
call the transition's own service function with the arguments that transition takes."""

from __future__ import annotations

from typing import Any

from zhengtong.workorders import services
from zhengtong.workorders.models import WorkOrder
from zhengtong.workorders.workflows import WORK_ORDER_FLOW

# action → (service function, the extra arguments it takes beyond actor, work_order, note, version)
ACTIONS = {
    "assign": (services.work_order_assign, ("department",)),
    "reassign": (services.work_order_reassign, ("department",)),
    "take": (services.work_order_take, ()),
    "return": (services.work_order_return, ()),
    "reply": (services.work_order_reply, ("reply",)),
    "callback": (services.work_order_callback, ("satisfaction",)),
    "close": (services.work_order_close, ()),
    "merge": (services.work_order_merge, ("master",)),
    "withdraw": (services.work_order_withdraw, ()),
    "reopen": (services.work_order_reopen, ()),
}


def work_order_action(
    *,
    actor: Any,
    work_order: WorkOrder,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    **arguments: Any,
) -> WorkOrder:
    """Take ``action`` (a transition name) through its service function; ``arguments`` may hold
    every field a form or payload sends (``department``, ``reply``, ``satisfaction``,
    ``master``): each function gets only its own. An unknown action is a ValidationError."""
    if action not in ACTIONS:
        WORK_ORDER_FLOW.transition(action)  # raises the workflow's "unknown action"
    function, takes = ACTIONS[action]
    return function(
        actor=actor,
        work_order=work_order,
        note=note,
        expected_version=expected_version,
        **{name: arguments.get(name) for name in takes},
    )
