"""Background tasks of payments: the local provider's callback deliveries and their retries."""

from __future__ import annotations

from django_tasks import task

from zhengtong.payments import providers


@task()
def notice_deliver_task(notice_id: int) -> str:
    return providers.notice_deliver(notice_id)


@task()
def notices_retry_task() -> int:
    return providers.notices_retry_due()
