"""Background tasks of the catalogue: data loads, and the recovery of interrupted ones."""

from __future__ import annotations

from django_tasks import task

# services.loads enqueues load_run_task and this module runs its functions: the two import each
# other as modules (attributes are read when a task runs), so neither import sits in a function.
from zhengtong.catalog.services import dataservices, harvest, loads


@task()
def load_run_task(job_id: int) -> str:
    return loads.load_run(job_id).state


@task()
def loads_recover_stale_task() -> int:
    return loads.loads_recover_stale()


@task()
def dataservices_check_task() -> int:
    return dataservices.dataservices_check()


@task()
def harvests_due_task() -> int:
    return harvest.harvests_due()
