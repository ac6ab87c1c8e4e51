"""Background tasks of the services module."""

from __future__ import annotations

from django_tasks import task

from zhengtong.services import evaluation, services


@task()
def owed_scan_task() -> int:
    """容缺受理: end the accepted cases whose owed materials did not arrive by their date."""
    return services.owed_scan()


@task()
def evaluation_publish_task() -> str:
    """Publish the monthly 好差评 and handling indicators (the last twelve months) to the catalogue."""
    return evaluation.evaluation_publish()


@task()
def benefit_scan_task() -> int:
    """免申即享: scan the registries for everyone each active benefit entitles (daily)."""
    return services.eligibility.scan_all()
