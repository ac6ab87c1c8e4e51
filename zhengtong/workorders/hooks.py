"""Hooks other modules register to react to work orders opening and closing.

    from zhengtong.workorders.hooks import on_closed, on_opened

    @on_closed("rating")
    def rectified(work_order): ...

    @on_opened("complaint")
    def to_grid(work_order): ...

For ``on_closed`` the prefix is the part of ``WorkOrder.source_ref`` before the first ":"
("rating:17" → "rating"); closed hooks run inside the closing transaction (close, merge into
another, withdraw). ``on_opened`` is keyed by the work order's kind; opened hooks run after the
opening transaction commits (a failing hook is logged and does not undo the work order).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_CLOSED: dict[str, list[Callable]] = {}
_OPENED: dict[str, list[Callable]] = {}


def _hook(registry: dict[str, list[Callable]], key: str) -> Callable[[Callable], Callable]:
    def decorator(fn: Callable) -> Callable:
        hooks = registry.setdefault(key, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return decorator


def on_closed(prefix: str) -> Callable[[Callable], Callable]:
    return _hook(_CLOSED, prefix)


def run_closed(work_order) -> None:
    if not work_order.source_ref:
        return
    for fn in list(_CLOSED.get(work_order.source_ref.split(":", 1)[0], [])):
        fn(work_order)


def on_opened(kind: str) -> Callable[[Callable], Callable]:
    return _hook(_OPENED, kind)


def run_opened(work_order) -> None:
    for fn in list(_OPENED.get(work_order.kind, [])):
        try:
            fn(work_order)
        except Exception:  # noqa: BLE001 - one module's hook must not break the others
            logger.exception("work-order opened hook %s failed for %s", fn, work_order.number)
