from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CalendarDay(models.Model):
    """A local override of the working-day calendar (e.g. a year the library does not know yet)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class TimelineEntry(models.Model):
    """One transition of a workflow object: who, what, when, from which state to which."""

    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.transition}"


class PeriodicRun(models.Model):
    """When each periodic task was last enqueued; the row lock keeps several workers from doubling up."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self) -> str:
        return self.name


class OutboxMessage(models.Model):
    """Something to deliver after a commit (the transactional outbox, zhengtong.core.outbox): written
    in the caller's transaction, delivered by its topic's handler, retried with backoff."""

    class State(models.TextChoices):
        # A context: notify's "pending" (待发送) is another word.
        PENDING = "pending", pgettext_lazy("outbox", "pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    topic = models.CharField(_("topic"), max_length=64)
    key = models.CharField(_("idempotency key"), max_length=200)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["topic", "key"], name="core_outbox_topic_key")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="core_outbox_due")]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.topic}:{self.key} {self.state}"
