"""Seal keys (one per department seal, one per installation statement purpose) and sealed documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department

SEAL = "seal"


class SealKey(models.Model):
    """An ES256 key: a department's seal (``purpose='seal'``) or the installation's key for one kind of
    signed statement (``purpose`` names it, e.g. ``sharing.receipt``; no department)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired (still verifies what it signed)")

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    purpose = models.CharField(_("purpose"), max_length=40)
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    # "" for the installation's statement keys, else the department's id: one active key per
    # (purpose, owner), enforced by a unique index that behaves alike on SQLite and PostgreSQL.
    owner = models.CharField(_("owner"), max_length=20, default="", editable=False)
    public_der = models.BinaryField(_("public key (DER)"))
    private_encrypted = models.BinaryField(_("private key (encrypted PEM)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["purpose", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "owner"],
                condition=models.Q(status="active"),
                name="seals_one_active_key",
            )
        ]
        verbose_name = _("seal key")
        verbose_name_plural = _("seal keys")

    def __str__(self) -> str:
        return f"{self.purpose}:{self.kid}"


class SealedDocument(models.Model):
    """A PDF sealed by a department: the exact bytes, their SHA-256 and the ES256 signature over it."""

    code = models.CharField(_("verification code"), max_length=16, unique=True)
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    kind = models.CharField(_("kind"), max_length=40)
    reference = models.CharField(_("reference"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    kid = models.CharField(_("key id"), max_length=16)
    signature = models.CharField(_("signature"), max_length=100)
    pdf = models.BinaryField(_("PDF"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sealed_at = models.DateTimeField(_("sealed at"))
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(_("sealed via"), max_length=40, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason revoked"), max_length=200, blank=True)

    class Meta:
        ordering = ["-sealed_at", "-id"]
        indexes = [models.Index(fields=["kind", "reference"], name="seals_doc_ref")]
        verbose_name = _("sealed document")
        verbose_name_plural = _("sealed documents")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
