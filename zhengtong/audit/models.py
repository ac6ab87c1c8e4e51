from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded change (留痕). Append-only and hash-chained: see audit.services.record()."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    org_unit_code = models.CharField(_("org unit"), max_length=15, blank=True)
    # Materialized path of the org unit, so scoped reads are a range scan (see accounts.permissions).
    org_unit_path = models.CharField(max_length=128, blank=True)
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
    # Events written before the log (issue 16) form a hash chain: ``prev_hash`` links each to the one
    # before. Later events leave it empty; their order is the log's (AuditLogEntry).
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    # SHA-256 of the event's canonical serialization (audit.services.canonical): the log's leaf data.
    hash = models.CharField(max_length=64)

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
            models.Index(
                fields=["action"], name="auditevent_action_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action}"


class AuditQueue(models.Model):
    """An event committed but not yet sequenced into the log (Trillian's "unsequenced" table).

    ``record()`` inserts here in the writer's transaction and takes no lock; the sequencer
    (``audit.log.integrate``) moves rows from here into ``AuditLogEntry``. The row carries the
    event's content hash, so the sequencer never reads the event table (on PostgreSQL partitioned
    by month, where a look-up by id alone visits every partition); ``verify_log`` checks every
    log entry against its event.
    """

    event_id = models.BigIntegerField(primary_key=True)
    hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("unsequenced audit event")
        verbose_name_plural = _("unsequenced audit events")

    def __str__(self) -> str:
        return f"queued #{self.event_id}"


class AuditLogEntry(models.Model):
    """Position ``seq`` of the Merkle log holds the event ``event_id`` (append-only)."""

    seq = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    leaf_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")

    def __str__(self) -> str:
        return f"{self.seq}: #{self.event_id}"


class AuditNode(models.Model):
    """A perfect interior subtree of the Merkle log: level ≥ 1, ``index``-th at that level."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_node_unique")]
        verbose_name = _("audit tree node")
        verbose_name_plural = _("audit tree nodes")

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class AuditTreeHead(models.Model):
    """A signed tree head (STH): the log's size and root at a time, signed with the installation's
    ``audit.tree_head`` key, linked to the previous head by its hash."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    prev_head_hash = models.CharField(max_length=64)
    kid = models.CharField(max_length=16)
    signature = models.CharField(max_length=100)

    class Meta:
        ordering = ["-tree_size"]
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")

    def __str__(self) -> str:
        return f"STH {self.tree_size}"
