"""Escalation (督办) of overdue work orders, called by the SLA scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from zhengtong.accounts.selectors import holders_of
from zhengtong.audit import services as audit
from zhengtong.notify.services import notify
from zhengtong.workorders.models import WorkOrder

if TYPE_CHECKING:
    from zhengtong.accounts.models import User


def escalate_overdue(ids: list[int]) -> int:
    """Called by the SLA scan with a chunk of newly overdue work orders: mark them escalated (督办)
    with one UPDATE, record one audit event listing them, and send each supervisor whose scope
    holds some of them one message (not one per work order)."""

    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WorkOrder.objects.filter(pk__in=ids, escalated_at__isnull=True).values_list(
                "pk", "number", "org_unit__path"
            )
        )
        if not rows:
            return 0
        WorkOrder.objects.filter(pk__in=[r[0] for r in rows], escalated_at__isnull=True).update(
            escalated_at=now
        )
        audit.record(
            actor=None,
            action="workorders.work_order.escalate",
            target_type="workorders.workorder",
            target_id=str(rows[0][0]) if len(rows) == 1 else f"{len(rows)} work orders",
            target_label=rows[0][1] if len(rows) == 1 else f"{len(rows)}",
            after={"numbers": [r[1] for r in rows], "escalated_at": now},
        )
        # Each supervisor of some of them (at their unit or above, grant live) gets one message.
        numbers_of: dict[int, list[str]] = {}
        supervisors: dict[int, User] = {}
        by_path: dict[str, list[str]] = {}
        for _pk, number, path in rows:
            by_path.setdefault(path, []).append(number)
        for path, numbers in by_path.items():
            for user in holders_of("workorders.supervise", path):
                supervisors[user.pk] = user
                numbers_of.setdefault(user.pk, []).extend(numbers)
        for user_pk, mine in sorted(numbers_of.items()):
            notify(
                recipient=supervisors[user_pk],
                event="workorders.overdue",
                title=ngettext(
                    "%(count)d work order is overdue", "%(count)d work orders are overdue", len(mine)
                )
                % {"count": len(mine)},
                body=", ".join(mine[:20]) + (" …" if len(mine) > 20 else ""),
                link=reverse("workorders:worklist") + "?sla_state=overdue",
            )
    return len(rows)
