"""Internet + supervision (互联网+监管): the supervision catalogue, enforcement officers, random
inspection plans (双随机一公开), inspections and administrative penalty cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel
from zhengtong.registry.models import LegalEntity


class SupervisionItem(models.Model):
    """One supervision item of a department (监管事项目录清单) with its legal basis and checklist."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    checklist = models.JSONField(_("checklist"), default=list)  # list of check texts
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("supervision item")
        verbose_name_plural = _("supervision items")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Officer(models.Model):
    """An enforcement officer (执法人员) with their enforcement certificate."""

    number = models.CharField(_("officer number"), max_length=20, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    certificate_no = models.CharField(_("enforcement certificate number"), max_length=40)
    certificate_valid_to = models.DateField(_("certificate valid to"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    # Region code of residence: an officer is not drawn for an entity registered where they live.
    residence_region = models.CharField(_("region of residence"), max_length=15, blank=True)
    # Declared relations (credit codes of entities the officer has an interest in).
    declared_relations = models.JSONField(_("declared relations"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("enforcement officer")
        verbose_name_plural = _("enforcement officers")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class InspectionPlan(WorkflowModel):
    """A random inspection plan (双随机抽查计划) of one department or joint (跨部门联合抽查).
    draft → committed (population hash and seed commitment published) → drawn (seed revealed) →
    closed."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="+", verbose_name=_("lead department")
    )
    joint_departments = models.ManyToManyField(
        Department, related_name="+", blank=True, verbose_name=_("joint departments")
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    items = models.ManyToManyField(SupervisionItem, related_name="+", verbose_name=_("supervision items"))
    # Population filters: entity_type, region_prefix, licence_type, grades (list of A–D and U).
    filters = models.JSONField(_("filters"), default=dict)
    # Per mille drawn per stratum (credit grade); empty: the published model's frequencies.
    permille = models.JSONField(_("per mille per grade"), default=dict, blank=True)
    inspectors_per_department = models.PositiveSmallIntegerField(_("inspectors per department"), default=2)
    population_size = models.PositiveIntegerField(_("population size"), null=True, blank=True)
    population_hash = models.CharField(_("population SHA-256"), max_length=64, blank=True)
    officers_hash = models.CharField(_("officer pool SHA-256"), max_length=64, blank=True)
    seed_commitment = models.CharField(_("seed commitment (SHA-256)"), max_length=64, blank=True)
    seed = models.CharField(_("seed"), max_length=128, blank=True)  # shown only once drawn
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    # What a targeted plan (专项检查) was seeded from: "alert:<id>" (a platform-data alert) or
    # "credit:D" (the credit grade D); empty for a routine plan.
    source_ref = models.CharField(_("seeded from"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("random inspection plan")
        verbose_name_plural = _("random inspection plans")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_joint(self) -> bool:
        return self.joint_departments.exists()


class Result(models.TextChoices):
    PASS = "pass", _("no problem found")
    RECTIFY = "rectify", _("problems found: rectification ordered")
    PENALTY = "penalty", _("violation found: penalty case opened")
    NOT_FOUND = "not_found", _("not found at the registered address")


class Inspection(WorkflowModel, SlaMixin):
    """One drawn target's inspection: assigned → recorded (the publicity clock runs) → published."""

    plan = models.ForeignKey(
        InspectionPlan, models.PROTECT, related_name="inspections", verbose_name=_("plan")
    )
    entity = models.ForeignKey(LegalEntity, models.PROTECT, related_name="+", verbose_name=_("entity"))
    stratum = models.CharField(_("stratum"), max_length=4)
    rank = models.PositiveIntegerField(_("rank in stratum"))
    draw_hmac = models.CharField(_("HMAC-SHA256"), max_length=64)
    # Officers left out for this target, {officer number: reason} (residence, recent, declared).
    exclusions = models.JSONField(_("excluded officers"), default=dict, blank=True)
    inspectors = models.ManyToManyField(Officer, related_name="inspections", verbose_name=_("inspectors"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    checklist_results = models.JSONField(_("checklist"), default=list, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, blank=True)
    entity_signer = models.CharField(_("signed for the entity by"), max_length=50, blank=True)
    inspector_signer = models.CharField(_("signed by the inspector"), max_length=50, blank=True)
    # Hand-drawn signatures: PNG files under var/supervision/signatures/ (re-encoded without
    # metadata) and the SHA-256 of the stored bytes, checked each time the image is served.
    entity_signature = models.CharField(_("entity's drawn signature"), max_length=200, blank=True)
    entity_signature_sha256 = models.CharField(max_length=64, blank=True)
    inspector_signature = models.CharField(_("inspector's drawn signature"), max_length=200, blank=True)
    inspector_signature_sha256 = models.CharField(max_length=64, blank=True)
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    rectification_ref = models.CharField(_("rectification work order"), max_length=20, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The result is public (公示) until this day; the periodic task then removes it from the public
    # pages and API (publicity_removed_at), audited.
    publicity_until = models.DateField(_("published until"), null=True, blank=True)
    publicity_removed_at = models.DateTimeField(_("removed from publicity at"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "stratum", "rank"]
        constraints = [models.UniqueConstraint(fields=["plan", "entity"], name="inspection_once_per_plan")]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.plan.number} · {self.entity.name}"

    @property
    def in_publicity(self) -> bool:
        """Whether the result is on the public pages now (published, not yet removed)."""
        return self.state == "published" and self.publicity_removed_at is None


class InspectionPhoto(models.Model):
    """A photo taken during an inspection: the original privately, a metadata-free copy public."""

    inspection = models.ForeignKey(Inspection, models.CASCADE, related_name="photos")
    original = models.CharField(max_length=200)
    public = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.public


class PartyKind(models.TextChoices):
    ENTITY = "entity", _("legal entity")
    INDIVIDUAL = "individual", _("individual")


class PenaltyKind(models.TextChoices):
    WARNING = "warning", _("warning (警告)")
    FINE = "fine", _("fine (罚款)")
    CONFISCATION = "confiscation", _("confiscation of illegal gains (没收违法所得)")
    SUSPENSION = "suspension", _("suspension of business (责令停产停业)")
    LICENCE_REVOKED = "licence_revoked", _("revocation of licence (吊销许可证件)")


class PenaltyCase(WorkflowModel, SlaMixin):
    """An administrative penalty case (行政处罚) through the statutory steps, decided within
    SUPERVISION_PENALTY_DAYS working days of filing."""

    number = models.CharField(_("case number"), max_length=40, unique=True)
    party_kind = models.CharField(_("party"), max_length=12, choices=PartyKind.choices)
    entity = models.ForeignKey(
        LegalEntity, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("entity")
    )
    party_name = models.CharField(_("party name"), max_length=200)
    party_id_number = models.CharField(_("party ID number"), max_length=18, blank=True)
    inspection = models.ForeignKey(
        Inspection, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("inspection")
    )
    item = models.ForeignKey(
        SupervisionItem, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("item")
    )
    facts = models.TextField(_("facts of the violation"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    filed_on = models.DateField(_("filed on"))
    notified_on = models.DateField(_("notified on"), null=True, blank=True)
    hearing_requested_on = models.DateField(_("hearing requested on"), null=True, blank=True)
    hearing_held_on = models.DateField(_("hearing held on"), null=True, blank=True)
    decision_no = models.CharField(_("decision number"), max_length=60, blank=True)
    penalty_kind = models.CharField(_("penalty"), max_length=20, choices=PenaltyKind.choices, blank=True)
    fine_fen = models.BigIntegerField(_("fine (fen)"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    served_on = models.DateField(_("served on"), null=True, blank=True)
    publicity_until = models.DateField(_("published until"), null=True, blank=True)
    publicity_removed_at = models.DateTimeField(_("removed from publicity at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("penalty case")
        verbose_name_plural = _("penalty cases")

    def __str__(self) -> str:
        return self.number


class PlatformKind(models.TextChoices):
    RIDE_HAILING = "ride_hailing", _("ride-hailing platform")
    FOOD_DELIVERY = "food_delivery", _("food delivery platform")


class Platform(models.Model):
    """A platform enterprise that reports its data (平台数据监管). Its requests are signed with
    the ES256 key whose public part it registered (its credential; we never hold its secret)."""

    entity = models.OneToOneField(LegalEntity, models.PROTECT, related_name="+", verbose_name=_("entity"))
    kind = models.CharField(_("kind"), max_length=20, choices=PlatformKind.choices)
    public_key_der = models.BinaryField(_("public key"))
    kid = models.CharField(_("key id"), max_length=16)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reporting platform")
        verbose_name_plural = _("reporting platforms")

    def __str__(self) -> str:
        return self.entity.name


class PlatformReport(models.Model):
    """One accepted periodic report: exactly one per platform, type and month."""

    platform = models.ForeignKey(Platform, models.PROTECT, related_name="reports")
    report_type = models.CharField(_("report type"), max_length=30)
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(_("rows"))
    summary = models.JSONField(_("summary"), default=dict)
    # Where the rows went in the catalogue (catalog.services.platform_dataset_publish) and what
    # it answered ("loaded", or why not).
    catalogue_resource = models.CharField(_("catalogue resource"), max_length=100, blank=True)
    catalogue_result = models.CharField(_("catalogue load"), max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("platform report")
        verbose_name_plural = _("platform reports")
        ordering = ["-period", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "report_type", "period"], name="platform_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.report_type} {self.period}"


class SupervisionAlert(models.Model):
    """An anomaly found in a platform report; supervisors may seed an inspection plan from it."""

    platform = models.ForeignKey(Platform, models.PROTECT, related_name="alerts")
    report = models.ForeignKey(PlatformReport, models.PROTECT, related_name="alerts")
    rule = models.CharField(_("rule"), max_length=40)
    message = models.CharField(_("message"), max_length=300)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    # The targeted plan seeded from this alert (at most one).
    plan = models.ForeignKey(
        InspectionPlan, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("plan")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision alert")
        verbose_name_plural = _("supervision alerts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.message


from zhengtong.supervision.workflows import INSPECTION_FLOW, PENALTY_FLOW, PLAN_FLOW  # noqa: E402

InspectionPlan.workflow = PLAN_FLOW
Inspection.workflow = INSPECTION_FLOW
PenaltyCase.workflow = PENALTY_FLOW
