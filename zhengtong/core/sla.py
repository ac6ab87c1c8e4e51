"""SLA clocks in working days, shared by every object with a time limit.

A model gets the clock by inheriting ``SlaMixin``; the workflow starts, pauses, resumes and
stops it; ``sla_scan()`` (a periodic task) moves running clocks to due-soon and overdue with
a few set-based UPDATEs, so a scan over millions of open objects stays cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core import hooks
from zhengtong.core.calendar import add_working_days, working_days_between


class SlaState(models.TextChoices):
    NONE = "none", _("no time limit")
    ON_TIME = "on_time", _("on time")
    DUE_SOON = "due_soon", _("due soon")
    OVERDUE = "overdue", _("overdue")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


RUNNING = (SlaState.ON_TIME, SlaState.DUE_SOON, SlaState.OVERDUE)


class SlaMixin(models.Model):
    sla_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    sla_started_on = models.DateField(_("clock started"), null=True, blank=True)
    sla_deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    # The first day the clock counts as due soon: precomputed so the scan is a plain date comparison.
    sla_due_soon_on = models.DateField(null=True, blank=True)
    sla_paused_on = models.DateField(_("paused since"), null=True, blank=True)
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, choices=SlaState.choices, default=SlaState.NONE, db_index=True
    )

    class Meta:
        abstract = True

    SLA_FIELDS = [
        "sla_working_days",
        "sla_started_on",
        "sla_deadline",
        "sla_due_soon_on",
        "sla_paused_on",
        "sla_state",
    ]


@dataclass(frozen=True)
class _Registration:
    model: type[models.Model]
    on_overdue: Callable[[list], None] | None
    overdue_stamp: str | None


CLOCKS = hooks.registry(
    "core.sla", doc="Models whose clocks `sla_scan` moves, keyed by model label (`core.sla.register`)."
)


def register(
    model: type[models.Model],
    *,
    on_overdue: Callable[[list], None] | None = None,
    overdue_stamp: str | None = None,
) -> None:
    """Have ``sla_scan`` look after this model; ``on_overdue(ids)`` runs for newly overdue objects.
    ``overdue_stamp`` names a datetime field set in the same UPDATE that marks a clock overdue
    (e.g. ``escalated_at``), so the hook need not write those rows a second time."""
    if CLOCKS.get(model._meta.label_lower) is None:
        CLOCKS.add(model._meta.label_lower, _Registration(model, on_overdue, overdue_stamp))


def today() -> dt.date:
    return timezone.localdate()


def _classify(deadline: dt.date, due_soon_on: dt.date, on: dt.date) -> str:
    if on > deadline:
        return SlaState.OVERDUE
    if on >= due_soon_on:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


def _set_deadline(obj: SlaMixin, start: dt.date, working_days: int, on: dt.date) -> None:
    obj.sla_deadline = add_working_days(start, working_days)
    obj.sla_due_soon_on = add_working_days(obj.sla_deadline, -settings.SLA_DUE_SOON_DAYS)
    obj.sla_state = _classify(obj.sla_deadline, obj.sla_due_soon_on, on)


def sla_start(obj: SlaMixin, *, working_days: int, start: dt.date | None = None, save: bool = True) -> None:
    """Start (or restart) the clock: the deadline is ``working_days`` working days after ``start``."""
    start = start or today()
    obj.sla_working_days = working_days
    obj.sla_started_on = start
    obj.sla_paused_on = None
    _set_deadline(obj, start, working_days, today())
    if save:
        obj.save(update_fields=SlaMixin.SLA_FIELDS)


def sla_pause(obj: SlaMixin, *, on: dt.date | None = None, save: bool = True) -> None:
    """Pause (e.g. 补正: the applicant must supply materials); the remaining days are kept."""
    if obj.sla_state not in RUNNING:
        return
    obj.sla_paused_on = on or today()
    obj.sla_state = SlaState.PAUSED
    if save:
        obj.save(update_fields=SlaMixin.SLA_FIELDS)


def sla_resume(obj: SlaMixin, *, on: dt.date | None = None, save: bool = True) -> None:
    """Resume a paused clock: the working days left at the pause are counted again from ``on``."""
    if obj.sla_state != SlaState.PAUSED or obj.sla_deadline is None or obj.sla_paused_on is None:
        return
    on = on or today()
    remaining = max(working_days_between(obj.sla_paused_on, obj.sla_deadline), 0)
    obj.sla_paused_on = None
    _set_deadline(obj, on, remaining, today())
    if save:
        obj.save(update_fields=SlaMixin.SLA_FIELDS)


def sla_stop(obj: SlaMixin, *, save: bool = True) -> None:
    if obj.sla_state == SlaState.NONE:
        return
    obj.sla_state = SlaState.STOPPED
    obj.sla_paused_on = None
    if save:
        obj.save(update_fields=SlaMixin.SLA_FIELDS)


def sla_apply(obj: SlaMixin, action: str, *, working_days: int | None = None) -> None:
    if action == "start":
        if working_days is None:
            raise ValueError("starting a clock needs working_days")
        sla_start(obj, working_days=working_days)
    elif action == "pause":
        sla_pause(obj)
    elif action == "resume":
        sla_resume(obj)
    elif action == "stop":
        sla_stop(obj)
    else:
        raise ValueError(f"unknown SLA action {action!r}")


def sla_scan(*, on: dt.date | None = None, chunk: int = 5000) -> dict[str, dict[str, int]]:
    """Move running clocks to due-soon / overdue as of ``on``; return counts per model."""
    on = on or today()
    report: dict[str, dict[str, int]] = {}
    for reg in CLOCKS.items():
        model, on_overdue = reg.model, reg.on_overdue
        stamp = {reg.overdue_stamp: timezone.now()} if reg.overdue_stamp else {}
        with transaction.atomic():
            newly_overdue_qs = model.objects.filter(
                sla_state__in=[SlaState.ON_TIME, SlaState.DUE_SOON], sla_deadline__lt=on
            )
            newly_overdue = list(newly_overdue_qs.values_list("pk", flat=True)) if on_overdue else []
            overdue = newly_overdue_qs.update(sla_state=SlaState.OVERDUE, **stamp)
            due_soon = model.objects.filter(
                sla_state=SlaState.ON_TIME, sla_due_soon_on__lte=on, sla_deadline__gte=on
            ).update(sla_state=SlaState.DUE_SOON)
        if on_overdue and newly_overdue:
            for start in range(0, len(newly_overdue), chunk):
                on_overdue(newly_overdue[start : start + chunk])
        report[model._meta.label_lower] = {"overdue": overdue, "due_soon": due_soon}
    return report
