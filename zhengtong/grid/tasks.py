"""Background work of the grid module: escalation, statistics, periodic reports."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.grid import reports
from zhengtong.grid.services import escalate_overdue, incident_stats_refresh

logger = logging.getLogger(__name__)


def on_overdue(ids: list[int]) -> None:
    """core.sla found these incidents newly overdue (hour and working-day clocks): escalate them."""
    escalate_overdue(ids)


@task()
def daily_task() -> dict:
    """Rebuild incident statistics; produce last month's and this month's reports."""
    stats = incident_stats_refresh()
    produced = reports.produce_due()
    logger.info("grid daily: %s statistics rows, %s reports", stats, produced)
    return {"stats": stats, "reports": produced}
