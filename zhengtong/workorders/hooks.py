"""Hooks other modules register to react to their work orders closing.

    from zhengtong.workorders.hooks import on_closed

    @on_closed("rating")
    def rectified(work_order): ...

The prefix is the part of ``WorkOrder.source_ref`` before the first ":" ("rating:17" → "rating").
Hooks run inside the closing transaction (close, merge into another, withdraw).
"""

from __future__ import annotations

from collections.abc import Callable

_CLOSED: dict[str, list[Callable]] = {}


def on_closed(prefix: str) -> Callable[[Callable], Callable]:
    def decorator(fn: Callable) -> Callable:
        hooks = _CLOSED.setdefault(prefix, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return decorator


def run_closed(work_order) -> None:
    if not work_order.source_ref:
        return
    for fn in list(_CLOSED.get(work_order.source_ref.split(":", 1)[0], [])):
        fn(work_order)
