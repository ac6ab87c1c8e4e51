from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One message in a user's in-app inbox (我的消息)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="messages", verbose_name=_("recipient")
    )
    event = models.CharField(_("event"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notify_msg_unread")]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """The record of sending a message over one outward channel (email, SMS); the attempts and their
    schedule are the transactional outbox's (topic ``notify.delivery``, key = this row's id)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        RETRYING = "retrying", _("retrying")
        FAILED = "failed", _("failed")

    message = models.ForeignKey(Message, models.CASCADE, related_name="deliveries", verbose_name=_("message"))
    channel = models.CharField(_("channel"), max_length=16)
    address_masked = models.CharField(_("address"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider message id"), max_length=100, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"
