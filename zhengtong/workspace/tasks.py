"""Background work of the workspace: the periodic scan for unread urgent notices (SMS) and
due-soon tasks; overdue tasks come from core.sla's scan."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.workspace.services import (
    escalate_overdue,
    messages_purge_expired,
    notify_due_soon,
    urgent_escalate,
)

logger = logging.getLogger(__name__)


def on_overdue(ids: list[int]) -> None:
    """core.sla found these tasks newly overdue: escalate them (督办)."""
    escalate_overdue(ids)


@task()
def scan_task() -> dict:
    """Send unread urgent notices by SMS; tell assignees of tasks that became due soon; purge
    informal messages past their retention period."""
    sms = urgent_escalate()
    due_soon = notify_due_soon()
    purged = messages_purge_expired()
    if sms or due_soon or purged:
        logger.info("workspace scan: %s SMS, %s due-soon tasks, %s messages purged", sms, due_soon, purged)
    return {"sms": sms, "due_soon": due_soon, "purged": purged}
