"""The hooks payments fires when a bill is paid or refunded (declared in ``zhengtong.core.hooks``).

    from zhengtong.payments.hooks import on_paid

    on_paid("case")(case_paid)          # in AppConfig.ready(); case_paid(*, bill) -> None

The key is the part of ``Bill.reference`` before the first ":" ("case:123" → "case"). A receiver
runs once per bill (confirmation is idempotent), inside the confirming transaction: if it raises,
the confirmation rolls back and the provider's retry tries again.
"""

from __future__ import annotations

from collections.abc import Callable

from zhengtong.core import hooks
from zhengtong.core.hooks import Receiver

BILL_PAID = hooks.declare(
    "payments.bill_paid",
    args=("bill",),
    keyed=True,
    doc="A bill became paid, inside the confirming transaction; keyed by the prefix of Bill.reference.",
)
BILL_REFUNDED = hooks.declare(
    "payments.bill_refunded",
    args=("bill",),
    keyed=True,
    doc="A payment of a bill was refunded (in part or in full), inside the refund's transaction; "
    "keyed by the prefix of Bill.reference.",
)


def on_paid(prefix: str) -> Callable[[Receiver], Receiver]:
    """Decorator: receive ``payments.bill_paid`` for bills whose reference starts with ``prefix:``."""
    return hooks.receiver(BILL_PAID.name, key=prefix)


def on_refunded(prefix: str) -> Callable[[Receiver], Receiver]:
    """Decorator: receive ``payments.bill_refunded`` for bills whose reference starts with ``prefix:``."""
    return hooks.receiver(BILL_REFUNDED.name, key=prefix)


def reference_prefix(reference: str) -> str:
    return reference.split(":", 1)[0]


def run_paid(bill) -> None:
    BILL_PAID.fire(key=reference_prefix(bill.reference), bill=bill)


def run_refunded(bill) -> None:
    BILL_REFUNDED.fire(key=reference_prefix(bill.reference), bill=bill)
