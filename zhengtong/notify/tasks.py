"""Background tasks of notify: SMS receipts (deliveries and their retries are the outbox's)."""

from __future__ import annotations

from django_tasks import task

from zhengtong.notify import services


@task()
def sms_receipts_task() -> int:
    return services.sms_receipts_collect()
