"""How the payments module plugs into the platform: its permissions and role, its navigation
entries, and (by importing ``providers``) the local provider's outbox handler. Installed once by
``PaymentsConfig.ready()``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role
from zhengtong.core.nav import register_nav
from zhengtong.payments import providers  # noqa: F401 - registers the local provider's outbox handler


def install() -> None:
    register_permissions(
        {
            "payments.view": _("View bills and payments"),
            "payments.bill": _("Issue and cancel bills"),
            "payments.refund": _("Refund payments"),
            "payments.reconcile": _("Reconcile payments with the provider"),
        }
    )
    register_role(
        "finance_officer",
        _("Finance officer"),
        {"payments.view", "payments.bill", "payments.refund", "payments.reconcile"},
        _("Bills, refunds and the daily reconciliation of unified payment."),
    )
    extend_role("counter_staff", {"payments.view", "payments.bill"})
    extend_role("reviewer", {"payments.view", "payments.bill"})
    extend_role("supervisor", {"payments.view", "payments.bill", "payments.refund"})
    register_nav("console", "payments:bills", _("Bills"), permission="payments.view", order=60)
    register_nav(
        "console",
        "payments:reconciliation",
        _("Reconciliation"),
        permission="payments.reconcile",
        order=61,
    )
