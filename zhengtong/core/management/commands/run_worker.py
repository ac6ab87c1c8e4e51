"""Runs the background task worker together with the periodic scheduler.

The scheduler enqueues each periodic task when its interval has passed. The last run time is
kept in the database under a row lock, so several workers on several nodes enqueue each
periodic task once.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from django.core.management import BaseCommand, call_command
from django.db import close_old_connections, transaction
from django.utils import timezone

from zhengtong.core.models import PeriodicRun
from zhengtong.core.tasks import loops, periodic_tasks


def enqueue_due(now=None) -> list[str]:
    """Enqueue every periodic task whose interval has passed; returns their names."""
    now = now or timezone.now()
    started = []
    for periodic in periodic_tasks():
        with transaction.atomic():
            run, _ = PeriodicRun.objects.select_for_update().get_or_create(name=periodic.name)
            due = run.last_enqueued_at is None or now - run.last_enqueued_at >= timedelta(
                seconds=periodic.interval_seconds
            )
            if due:
                periodic.task.enqueue()
                run.last_enqueued_at = now
                run.save(update_fields=["last_enqueued_at"])
                started.append(periodic.name)
    return started


class Command(BaseCommand):
    help = "Run the task worker and the periodic scheduler (SLA scans and the like)."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=15.0, help="seconds between schedule checks")

    def handle(self, *args, tick: float, **options):
        stop = threading.Event()

        def scheduler():
            while not stop.is_set():
                try:
                    close_old_connections()
                    for name in enqueue_due():
                        self.stdout.write(f"scheduled {name}")
                except Exception as exc:  # noqa: BLE001 - keep scheduling; the error is reported
                    self.stderr.write(f"scheduler: {exc}")
                stop.wait(tick)

        def run_loop(loop):
            while not stop.is_set():
                try:
                    close_old_connections()
                    loop.function()
                except Exception as exc:  # noqa: BLE001 - keep looping; the error is reported
                    self.stderr.write(f"{loop.name}: {exc}")
                # Each turn does all the work waiting (a backlog drains within the turn), so the
                # loop waits the interval after every turn: batches, not a spin.
                stop.wait(loop.interval_seconds)

        thread = threading.Thread(target=scheduler, name="zt-scheduler", daemon=True)
        thread.start()
        for loop in loops():
            threading.Thread(target=run_loop, args=(loop,), name=f"zt-{loop.name}", daemon=True).start()
        self.stdout.write("worker started (queues: default, sla)")
        try:
            # No autoreloader: it would re-run this command (and its scheduler) in a child process.
            call_command("db_worker", queue_name="*", interval=1, reload=False)
        finally:
            stop.set()
            time.sleep(0.1)
