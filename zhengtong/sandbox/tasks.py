"""Background work of the data sandbox: running jobs on the raw data, expiring projects."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.sandbox.services import job_run, projects_expire

logger = logging.getLogger(__name__)


@task()
def job_run_task(job_id: int) -> str:
    """Run one queued job (its SQL runs in the datastore's isolated child process)."""
    job = job_run(job_id)
    return job.status if job is not None else "skipped"


@task()
def expiry_task() -> int:
    """Expire projects past their period and delete their workspaces."""
    count = projects_expire()
    if count:
        logger.info("sandbox: %s projects expired, workspaces deleted", count)
    return count
