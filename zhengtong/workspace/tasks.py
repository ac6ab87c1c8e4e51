"""Background work of the workspace: the periodic scan for unread urgent notices (SMS) and
due-soon tasks; overdue tasks come from core.sla's scan."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.workspace.services import escalate_overdue, notify_due_soon, urgent_escalate

logger = logging.getLogger(__name__)


def on_overdue(ids: list[int]) -> None:
    """core.sla found these tasks newly overdue: escalate them (督办)."""
    escalate_overdue(ids)


@task()
def scan_task() -> dict:
    """Send unread urgent notices by SMS; tell assignees of tasks that became due soon."""
    sms = urgent_escalate()
    due_soon = notify_due_soon()
    if sms or due_soon:
        logger.info("workspace scan: %s SMS, %s due-soon tasks", sms, due_soon)
    return {"sms": sms, "due_soon": due_soon}
