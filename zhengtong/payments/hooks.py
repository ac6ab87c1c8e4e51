"""Hooks other modules register to react to bills being paid or refunded.

    from zhengtong.payments.hooks import on_paid

    @on_paid("case")
    def case_paid(bill): ...

The prefix is the part of ``Bill.reference`` before the first ":" ("case:123" → "case"). A hook
runs once per bill (confirmation is idempotent), inside the confirming transaction: if it
raises, the confirmation rolls back and the provider's retry tries again.
"""

from __future__ import annotations

from collections.abc import Callable

_PAID: dict[str, list[Callable]] = {}
_REFUNDED: dict[str, list[Callable]] = {}


def _register(table: dict[str, list[Callable]], prefix: str) -> Callable[[Callable], Callable]:
    def decorator(fn: Callable) -> Callable:
        hooks = table.setdefault(prefix, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return decorator


def on_paid(prefix: str) -> Callable[[Callable], Callable]:
    return _register(_PAID, prefix)


def on_refunded(prefix: str) -> Callable[[Callable], Callable]:
    return _register(_REFUNDED, prefix)


def _prefix(reference: str) -> str:
    return reference.split(":", 1)[0]


def run_paid(bill) -> None:
    for fn in list(_PAID.get(_prefix(bill.reference), [])):
        fn(bill)


def run_refunded(bill) -> None:
    for fn in list(_REFUNDED.get(_prefix(bill.reference), [])):
        fn(bill)
