"""Background tasks of notify: deliveries, retries, SMS receipts."""

from __future__ import annotations

from django_tasks import task

from zhengtong.notify import services


@task()
def deliver_task(delivery_id: int) -> str:
    return services.delivery_attempt(delivery_id)


@task()
def deliveries_retry_task() -> int:
    return services.deliveries_retry_due()


@task()
def sms_receipts_task() -> int:
    return services.sms_receipts_collect()
