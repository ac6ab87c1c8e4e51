"""Background tasks of the catalogue: data loads, and the recovery of interrupted ones."""

from __future__ import annotations

from django_tasks import task


@task()
def load_run_task(job_id: int) -> str:
    from zhengtong.catalog.services import load_run

    return load_run(job_id).state


@task()
def loads_recover_stale_task() -> int:
    from zhengtong.catalog.services import loads_recover_stale

    return loads_recover_stale()
