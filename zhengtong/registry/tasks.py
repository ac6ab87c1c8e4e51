"""Background tasks of the registry."""

from __future__ import annotations

from django_tasks import task

from zhengtong.registry import services


@task()
def licences_expire_due_task() -> int:
    return services.licences_expire_due()
