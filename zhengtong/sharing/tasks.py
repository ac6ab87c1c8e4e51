"""Periodic work of the sharing module: expire grants, scan for volume spikes, take the scheduled
batch extracts that are due."""

from __future__ import annotations

from django_tasks import task

from zhengtong.sharing import services


@task()
def hourly_task() -> dict:
    return {
        "expired": services.grants_expire(),
        "spikes": services.spikes_scan(),
        "remote_requests": services.remote_requests_check_open(),
    }


@task()
def batches_task() -> dict:
    return {"extracts": services.batches_due()}
