"""The hooks work orders fire when they open and close (declared in ``zhengtong.core.hooks``).

    from zhengtong.workorders.hooks import on_closed, on_opened

    on_closed("rating")(rectified)      # in AppConfig.ready(); rectified(*, work_order) -> None
    on_opened("complaint")(to_grid)

``workorders.work_order_closed`` is keyed by the part of ``WorkOrder.source_ref`` before the first
":" ("rating:17" → "rating") and runs inside the closing transaction (close, merge into another,
withdraw). ``workorders.work_order_opened`` is keyed by the work order's kind and runs after the
opening transaction commits; it is isolated (a failing receiver is logged and does not undo the
work order or stop the others).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zhengtong.core import hooks
from zhengtong.core.hooks import Receiver

WORK_ORDER_OPENED = hooks.declare(
    "workorders.work_order_opened",
    args=("work_order",),
    keyed=True,
    isolated=True,
    doc="A work order was opened, after its transaction committed; keyed by WorkOrder.kind.",
)
WORK_ORDER_CLOSED = hooks.declare(
    "workorders.work_order_closed",
    args=("work_order",),
    keyed=True,
    doc="A work order with a source_ref was closed (closed, merged or withdrawn), inside that "
    "transaction; keyed by the prefix of WorkOrder.source_ref.",
)


def on_opened(kind: str) -> Callable[[Receiver], Receiver]:
    """Decorator: receive ``workorders.work_order_opened`` for work orders of ``kind``."""
    return hooks.receiver(WORK_ORDER_OPENED.name, key=kind)


def on_closed(prefix: str) -> Callable[[Receiver], Receiver]:
    """Decorator: receive ``workorders.work_order_closed`` for source refs starting ``prefix:``."""
    return hooks.receiver(WORK_ORDER_CLOSED.name, key=prefix)


def run_opened(work_order) -> None:
    WORK_ORDER_OPENED.fire(key=work_order.kind, work_order=work_order)


def run_closed(work_order) -> None:
    if work_order.source_ref:
        WORK_ORDER_CLOSED.fire(key=work_order.source_ref.split(":", 1)[0], work_order=work_order)


@dataclass(frozen=True)
class Answer:
    """One knowledge-base answer a 12345 operator or a citizen may read: ``ref`` names it
    (``knowledge:<id>``), ``url`` is its public page."""

    ref: str
    title: str
    body: str
    url: str = ""


@dataclass(frozen=True)
class KnowledgeSource:
    """Where work orders read answers from without importing the module that keeps them:
    ``search(user, q, limit) -> list[Answer]`` (entries ``user`` may read; anonymous: public
    ones only) and ``get(user, ref) -> Answer | None``."""

    search: Callable[..., list[Answer]]
    get: Callable[..., Answer | None]


KNOWLEDGE = hooks.registry(
    "workorders.knowledge",
    doc="The knowledge base 12345 answers from (workspace adds its KnowledgeEntry search): "
    "suggested answers on the operator's call page and the public entries on the 12345 page.",
)


def knowledge_search(user, q: str, limit: int = 5) -> list[Answer]:
    """Suggested answers for ``q`` from every registered source (none: an empty list)."""
    found: list[Answer] = []
    for source in KNOWLEDGE.items():
        found += source.search(user, q, limit)
    return found[:limit]


def knowledge_get(user, ref: str) -> Answer | None:
    for source in KNOWLEDGE.items():
        answer = source.get(user, ref)
        if answer is not None:
            return answer
    return None
