"""Background tasks of codes: daily risk levels and indices, re-issue, retention purge."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from zhengtong.codes import services
from zhengtong.codes.models import Purpose


@task()
def reissue_task(purpose_code: str) -> int:
    return services.reissue_purpose(purpose_code)


@task()
def daily_task() -> dict:
    """Risk levels for today, indices for yesterday, then re-issue codes so levels take effect."""
    today = timezone.localdate()
    report = {
        "counties": services.risk_compute(today),
        "indices": services.index_compute(today - dt.timedelta(days=1)),
    }
    for code in Purpose.objects.filter(is_active=True).values_list("code", flat=True):
        report[f"reissued:{code}"] = services.reissue_purpose(code)
    return report


@task()
def retention_task() -> dict:
    services.flush_counts()
    return services.retention_purge()
