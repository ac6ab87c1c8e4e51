"""The hook supervision fires (declared in ``zhengtong.core.hooks``).

    @hooks.receiver("supervision.penalty_decided")      # e.g. open government's 双公示
    def publish(*, case): ...

It runs inside the deciding transaction (a failing receiver undoes the decision)."""

from __future__ import annotations

from zhengtong.core import hooks

PENALTY_DECIDED = hooks.declare(
    "supervision.penalty_decided",
    args=("case",),
    doc="An administrative penalty was decided, inside the deciding transaction; "
    "supervision.selectors.penalty_decisions_for_publicity() gives the desensitized rows.",
)


def run_penalty_decided(case) -> None:
    PENALTY_DECIDED.fire(case=case)
