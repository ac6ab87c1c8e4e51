"""The ledger of unified payment (统一公共支付). Amounts are integer fen (分), never floats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit


def yuan(fen: int | None) -> str:
    """12345 → "123.45" (display only)."""
    fen = int(fen or 0)
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


class Bill(models.Model):
    class State(models.TextChoices):
        UNPAID = "unpaid", _("unpaid")
        PAID = "paid", _("paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        REFUNDED = "refunded", _("refunded")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("bill number"), max_length=24, unique=True)
    reference = models.CharField(_("reference"), max_length=64, db_index=True)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=_("payer"),
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    items = models.JSONField(_("items"), default=list)  # [{"name": str, "amount_fen": int}]
    total_fen = models.BigIntegerField(_("total (fen)"))
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)
    refunded_fen = models.BigIntegerField(_("refunded (fen)"), default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.UNPAID, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=~Q(state="cancelled"),
                name="payments_bill_reference_open_unique",
            ),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="payments_bill_total_positive"),
            models.CheckConstraint(
                condition=Q(refunded_fen__lte=models.F("paid_fen")), name="payments_bill_refund_le_paid"
            ),
        ]
        verbose_name = _("bill")
        verbose_name_plural = _("bills")

    def __str__(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return f"{self.number} {self.reference}"

    @property
    def total_yuan(self) -> str:
        return yuan(self.total_fen)

    @property
    def refundable_fen(self) -> int:
        return self.paid_fen - self.refunded_fen

    @property
    def pay_url(self) -> str:
        from django.urls import reverse

        return reverse("payments:pay", args=[self.number])


class Payment(models.Model):
    class State(models.TextChoices):
        CREATED = "created", _("awaiting payment")
        PAID = "paid", _("paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        REFUNDED = "refunded", _("refunded")

    bill = models.ForeignKey(Bill, models.PROTECT, related_name="payments", verbose_name=_("bill"))
    provider = models.CharField(_("provider"), max_length=20)
    # Our order number sent to the provider (out_trade_no).
    token = models.CharField(_("order number"), max_length=40, unique=True)
    # The provider's transaction id, known once it reports the payment.
    provider_txn_id = models.CharField(
        _("provider transaction id"), max_length=64, unique=True, null=True, blank=True
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    refunded_fen = models.BigIntegerField(_("refunded (fen)"), default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.CREATED, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.token


class Refund(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        SUCCEEDED = "succeeded", _("succeeded")

    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    refund_no = models.CharField(_("refund number"), max_length=40, unique=True)
    provider_refund_id = models.CharField(
        _("provider refund id"), max_length=64, unique=True, null=True, blank=True
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REQUESTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payments_refund_positive")]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return self.refund_no


class ProviderEvent(models.Model):
    """Every callback received, valid or not: the evidence behind the ledger."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        DUPLICATE = "duplicate", _("duplicate (already applied)")
        REJECTED = "rejected", _("rejected")
        MISMATCH = "mismatch", _("amount mismatch (not applied)")
        UNKNOWN = "unknown", _("unknown order (not applied)")

    provider = models.CharField(_("provider"), max_length=20)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    event_id = models.CharField(_("event id"), max_length=64, blank=True, db_index=True)
    nonce = models.CharField(_("nonce"), max_length=64, blank=True)
    provider_txn_id = models.CharField(_("provider transaction id"), max_length=64, blank=True)
    signature_ok = models.BooleanField(_("signature valid"), default=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "nonce"], condition=Q(signature_ok=True), name="payments_event_nonce_once"
            )
        ]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.outcome}"


# -- the local provider's own books (what a real provider keeps on its side) --------------------


class LocalOrder(models.Model):
    token = models.CharField(max_length=40, unique=True)  # the merchant's order number
    amount_fen = models.BigIntegerField()
    description = models.CharField(max_length=200, blank=True)
    txn_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(max_length=12, default="created")  # created | paid
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("local test order")
        verbose_name_plural = _("local test orders")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.token


class LocalRefund(models.Model):
    order = models.ForeignKey(LocalOrder, models.PROTECT, related_name="refunds")
    refund_no = models.CharField(max_length=40, unique=True)
    refund_id = models.CharField(max_length=64, unique=True)
    amount_fen = models.BigIntegerField()
    refunded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("local test refund")
        verbose_name_plural = _("local test refunds")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.refund_no
