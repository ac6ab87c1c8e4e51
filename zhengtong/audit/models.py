from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded change (留痕). Append-only and hash-chained: see audit.services.record()."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    org_unit_code = models.CharField(_("org unit"), max_length=15, blank=True)
    # Materialized path of the org unit, so scoped reads are a range scan (see accounts.permissions).
    org_unit_path = models.CharField(max_length=128, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    # Set when the actor's action had this effect through another module's trusted internal call
    # (e.g. a citizen's payment completes their case "via" payments): the actor is the person whose
    # action it was, never a superuser standing in for the platform.
    via = models.CharField(_("via"), max_length=40, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            # Prefix searches (scoped reads) on PostgreSQL, whatever the collation.
            models.Index(
                fields=["org_unit_path"], name="auditevent_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action}"
