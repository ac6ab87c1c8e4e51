"""Writes of work orders, one module per use case:

- ``orders``: opening a work order (routing and deadline), the trusted
  ``work_order_open_on_behalf``, reading one by number;
- ``transitions``: one function per workflow transition (``work_order_assign``,
  ``work_order_reply``, ...) and the trusted ``work_order_answer``;
- ``routing``: the platform's one routing table (work orders and grid incidents);
- ``escalation``: overdue work orders, from the SLA scan;
- ``categories``: opening and closing a 12345 category (GB/T 39666 two levels).

``from zhengtong.workorders.services import work_order_open`` keeps working: the names below are
the public API.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.workorders.models import RoutingDomain
from zhengtong.workorders.services.categories import category_set_active, may_manage_categories
from zhengtong.workorders.services.escalation import escalate_overdue
from zhengtong.workorders.services.hotline import call_log, caller_sms
from zhengtong.workorders.services.orders import (
    kind_days,
    work_order_get_by_number,
    work_order_open,
    work_order_open_on_behalf,
)
from zhengtong.workorders.services.routing import (
    default_unit,
    route,
    route_for,
    routing_rule_delete,
    routing_rule_set,
)
from zhengtong.workorders.services.transitions import (
    ANSWERABLE_STATES,
    work_order_answer,
    work_order_assign,
    work_order_callback,
    work_order_close,
    work_order_merge,
    work_order_reassign,
    work_order_reopen,
    work_order_reply,
    work_order_return,
    work_order_take,
    work_order_withdraw,
)

audit_actions.register(
    {
        "workorders.routing_rule.set": gettext_lazy("Set work-order routing rule"),
        "workorders.routing_rule.delete": gettext_lazy("Delete work-order routing rule"),
        "workorders.work_order.escalate": gettext_lazy("Escalate overdue work order"),
        "workorders.category.set_active": gettext_lazy("Open or close a 12345 category"),
    }
)

__all__ = [
    "call_log",
    "category_set_active",
    "may_manage_categories",
    "caller_sms",
    "ANSWERABLE_STATES",
    "RoutingDomain",
    "default_unit",
    "escalate_overdue",
    "kind_days",
    "route",
    "route_for",
    "routing_rule_delete",
    "routing_rule_set",
    "work_order_answer",
    "work_order_assign",
    "work_order_callback",
    "work_order_close",
    "work_order_get_by_number",
    "work_order_merge",
    "work_order_open",
    "work_order_open_on_behalf",
    "work_order_reassign",
    "work_order_reopen",
    "work_order_reply",
    "work_order_return",
    "work_order_take",
    "work_order_withdraw",
]
