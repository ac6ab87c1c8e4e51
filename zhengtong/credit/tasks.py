from __future__ import annotations

from django_tasks import task

from zhengtong.credit import services


@task()
def credit_rescore_all() -> int:
    """Nightly: re-score every active entity with the published model."""
    return services.rescore_all()
