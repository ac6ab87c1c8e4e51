"""Background tasks of the datause module: the quality and timeliness scan."""

from __future__ import annotations

from django_tasks import task

from zhengtong.datause import services


@task()
def status_scan_task() -> dict:
    return services.status_scan()
