"""Public credit (信用浙江): the facts that count, the scores they give, the red and black lists,
repair requests and issued credit reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel
from zhengtong.registry.models import LegalEntity, Person


class EventKind(models.TextChoices):
    PENALTY = "penalty", _("administrative penalty")
    INSPECTION_PASS = "inspection_pass", _("inspection passed")
    INSPECTION_FAIL = "inspection_fail", _("inspection found problems")
    COMPLAINT = "complaint", _("substantiated complaint")
    ARREARS = "arrears", _("tax or utility arrears")
    COMMENDATION = "commendation", _("commendation")


class CreditEvent(models.Model):
    """A fact about an entity that the evaluation model counts, recorded by the module that knows
    it (supervision: penalties and inspections) through ``credit_event_record``."""

    entity = models.ForeignKey(LegalEntity, models.PROTECT, related_name="+", verbose_name=_("entity"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), default=1)  # 1 minor … 3 serious
    source_ref = models.CharField(_("source"), max_length=64, unique=True)
    summary = models.CharField(_("summary"), max_length=300)
    occurred_on = models.DateField(_("occurred on"))
    # A minimum publicity period is over and the entity has repaired it: it no longer counts.
    repaired_at = models.DateTimeField(_("repaired at"), null=True, blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["entity", "occurred_on"], name="creditevent_entity_day")]
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_ref}"


class Grade(models.TextChoices):
    A = "A", _("A (trustworthy)")
    B = "B", _("B (good)")
    C = "C", _("C (watch)")
    D = "D", _("D (dishonest)")


class CreditScore(models.Model):
    """The latest evaluation of one entity by the published model (one row per entity)."""

    entity = models.OneToOneField(LegalEntity, models.CASCADE, related_name="+", verbose_name=_("entity"))
    score = models.PositiveSmallIntegerField(_("score"))
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, db_index=True)
    factors = models.JSONField(_("factors"), default=list)
    model_version = models.CharField(_("model version"), max_length=20)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("credit score")
        verbose_name_plural = _("credit scores")

    def __str__(self) -> str:
        return f"{self.grade} {self.score}"


class ListKind(models.TextChoices):
    RED = "red", _("trustworthy list (守信激励)")
    BLACK = "black", _("serious dishonesty list (严重失信主体名单)")


class ListEntry(models.Model):
    """An entity on the red or the black list, with the legal basis and the period it lasts."""

    entity = models.ForeignKey(LegalEntity, models.PROTECT, related_name="+", verbose_name=_("entity"))
    kind = models.CharField(_("list"), max_length=8, choices=ListKind.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    reason = models.CharField(_("reason"), max_length=500)
    listed_on = models.DateField(_("listed on"))
    until = models.DateField(_("until"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removal_reason = models.CharField(_("removal reason"), max_length=300, blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-listed_on", "-id"]
        indexes = [models.Index(fields=["entity", "kind"], name="listentry_entity_kind")]
        verbose_name = _("credit list entry")
        verbose_name_plural = _("credit list entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.entity.name}"


class RepairRequest(WorkflowModel, SlaMixin):
    """A request to repair a credit record (信用修复): a black-list entry ended early or a penalty
    record no longer counted and no longer published, decided within CREDIT_REPAIR_DAYS."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    entity = models.ForeignKey(LegalEntity, models.PROTECT, related_name="+", verbose_name=_("entity"))
    event = models.ForeignKey(
        CreditEvent, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("record")
    )
    list_entry = models.ForeignKey(
        ListEntry, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("list entry")
    )
    reason = models.TextField(_("reason and rectification done"))
    commitment = models.BooleanField(_("signed the credit commitment (信用承诺书)"), default=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    decision_note = models.CharField(_("decision"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("credit repair request")
        verbose_name_plural = _("credit repair requests")

    def __str__(self) -> str:
        return self.number


class CreditReport(models.Model):
    """An issued credit report: the sealed PDF lives with the seals module under ``seal_code``."""

    entity = models.ForeignKey(LegalEntity, models.PROTECT, related_name="+", verbose_name=_("entity"))
    seal_code = models.CharField(_("verification code"), max_length=64, blank=True)
    grade = models.CharField(_("grade"), max_length=1)
    score = models.PositiveSmallIntegerField(_("score"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("credit report")
        verbose_name_plural = _("credit reports")

    def __str__(self) -> str:
        return self.seal_code or f"report {self.pk}"


class CommitmentBreach(models.Model):
    """A false commitment (虚假承诺, 国办发〔2020〕42号) of a person or an entity, recorded by the
    module that verified it (services' 核查). While not repaired it excludes the subject from
    告知承诺 and 容缺受理 (``Measures.flagged``); credit staff repair it (信用修复)."""

    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="+")
    entity = models.ForeignKey(LegalEntity, models.PROTECT, null=True, blank=True, related_name="+")
    source_ref = models.CharField(_("source"), max_length=64, unique=True)
    summary = models.CharField(_("summary"), max_length=300)
    recorded_on = models.DateField(_("recorded on"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    repaired_at = models.DateTimeField(_("repaired at"), null=True, blank=True)
    repair_note = models.CharField(_("repair"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("false commitment record")
        verbose_name_plural = _("false commitment records")

    def __str__(self) -> str:
        return self.source_ref


from zhengtong.credit.workflows import REPAIR_FLOW  # noqa: E402

RepairRequest.workflow = REPAIR_FLOW
