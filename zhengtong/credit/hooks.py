"""The hook credit fires (declared in ``zhengtong.core.hooks``).

    @hooks.receiver("credit.grades_changed")
    def on_grades(*, changes): ...        # [(entity id, old grade or None, new grade), ...]

It fires only for entities whose grade changed, once per re-scored batch (a single re-score after
a recorded fact, or each chunk of the nightly run), inside that batch's transaction."""

from __future__ import annotations

from zhengtong.core import hooks

GRADES_CHANGED = hooks.declare(
    "credit.grades_changed",
    args=("changes",),
    doc="Credit grades changed: a list of (entity id, old grade or None, new grade), only the "
    "changed ones, once per re-scored batch inside its transaction.",
)


def run_grades_changed(changes: list[tuple[int, str | None, str]]) -> None:
    if changes:
        GRADES_CHANGED.fire(changes=changes)
