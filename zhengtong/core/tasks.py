"""Background tasks of the core: the SLA scan, partition upkeep, and the periodic schedule the worker runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django_tasks import task

from zhengtong.core import hooks, partitions, sla

logger = logging.getLogger(__name__)


@task(queue_name="sla")
def sla_scan_task() -> dict:
    report = sla.sla_scan()
    logger.info("SLA scan: %s", report)
    return report


@task()
def partitions_task() -> dict:
    return partitions.maintain()


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object
    interval_seconds: int


PERIODIC = hooks.registry(
    "core.periodic",
    doc="Tasks the worker enqueues on a schedule, keyed by name (`core.tasks.register_periodic`).",
)


def register_periodic(name: str, task_obj: object, interval_seconds: int) -> None:
    """Have the worker's scheduler enqueue ``task_obj`` every ``interval_seconds`` (modules call
    this from their AppConfig.ready)."""
    PERIODIC.add(name, Periodic(name, task_obj, interval_seconds))


def periodic_tasks() -> list[Periodic]:
    """Everything the worker enqueues on a schedule."""
    return [
        Periodic("core.sla_scan", sla_scan_task, settings.SLA_SCAN_INTERVAL_SECONDS),
        Periodic("core.partitions", partitions_task, 86400),
        *PERIODIC.items(),
    ]


@dataclass(frozen=True)
class Loop:
    name: str
    function: object  # called with no arguments; does all the work waiting, returns how much it did
    interval_seconds: float  # the pause after every turn


LOOPS = hooks.registry(
    "core.loops",
    doc="Functions the worker runs in their own thread every few seconds, keyed by name "
    "(`core.tasks.register_loop`): work too frequent for a queued task, e.g. the audit log's sequencer.",
)


def register_loop(name: str, function: object, interval_seconds: float) -> None:
    """Have every worker call ``function()`` in a thread of its own, pausing ``interval_seconds``
    after every call. The function does all the work waiting (draining a backlog in batches) and
    must be safe to run in several workers at once, e.g. by taking a lock or skipping."""
    LOOPS.add(name, Loop(name, function, interval_seconds))


def loops() -> list[Loop]:
    return list(LOOPS.items())
