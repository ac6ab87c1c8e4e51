"""One-stop services: the service catalogue (实施清单), cases (办件), 一件事 bundles, 好差评 ratings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.sla import SlaMixin, SlaState
from zhengtong.core.workflow import WorkflowModel
from zhengtong.registry.models import LegalEntity, Licence, LicenceType, Person


class ServiceKind(models.TextChoices):
    LICENSING = "licensing", _("administrative licensing (行政许可)")
    CONFIRMATION = "confirmation", _("administrative confirmation (行政确认)")
    BENEFIT = "benefit", _("administrative benefit (行政给付)")
    PUBLIC = "public", _("public service (公共服务)")
    OTHER = "other", _("other administrative power (其他行政权力)")


class ServiceItem(models.Model):
    """A service item of the implementation list (政务服务事项实施清单). The rules live in its
    versions; the fields here are the ones the catalogue searches and filters on."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="service_items", verbose_name=_("department")
    )
    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="service_items", verbose_name=_("org unit")
    )
    life_events = models.JSONField(_("life events"), default=list, blank=True)
    visits = models.PositiveSmallIntegerField(_("on-site visits needed"), default=0)
    online = models.BooleanField(_("online"), default=True)
    mobile = models.BooleanField(_("on mobile"), default=True)
    current_version = models.ForeignKey(
        "ServiceItemVersion", models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ServiceItemVersion(models.Model):
    """The rules of a service item at one time: a case keeps the version it was filed under.
    Immutable once published (a change publishes a new version)."""

    item = models.ForeignKey(ServiceItem, models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    legal_basis = models.TextField(_("legal basis"), blank=True)
    conditions = models.TextField(_("acceptance conditions"), blank=True)
    # [{"code", "name", "name_en", "form", "required", "source"}]; source: "upload" | "population"
    # | "legal_entity" | "licence:<type code>" | "service:<item code>".
    materials = models.JSONField(_("materials"), default=list, blank=True)
    form_schema = models.JSONField(_("form (JSON Schema)"), default=dict, blank=True)
    statutory_days = models.PositiveSmallIntegerField(_("statutory time limit (working days)"))
    promised_days = models.PositiveSmallIntegerField(_("promised time limit (working days)"))
    fee_fen = models.PositiveIntegerField(_("fee (fen)"), default=0)
    fee_basis = models.CharField(_("fee basis"), max_length=300, blank=True)
    consultation = models.CharField(_("consultation channel"), max_length=200, blank=True)
    complaint = models.CharField(_("complaint channel"), max_length=200, blank=True)
    guide = models.TextField(_("service guide"), blank=True)
    # [{"name", "mode": "single"|"all"|"any"|"quorum", "signers": n, "quorum": 0.7}]
    review_steps = models.JSONField(_("review steps"), default=list, blank=True)
    produces = models.ForeignKey(
        LicenceType,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("produces e-licence"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="service_version_unique")]
        verbose_name = _("service item version")
        verbose_name_plural = _("service item versions")

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number}"


class Bundle(models.Model):
    """A 一件事 bundle: one life event, several departments' service items, one combined form."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    life_event = models.CharField(_("life event"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    items = models.ManyToManyField(ServiceItem, related_name="bundles", verbose_name=_("service items"))
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bundle (一件事)")
        verbose_name_plural = _("bundles (一件事)")

    def __str__(self) -> str:
        return self.name


class BundleApplication(models.Model):
    """One applicant's application for a bundle: the parent of the departmental cases."""

    bundle = models.ForeignKey(Bundle, models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=32, unique=True)
    data = models.JSONField(default=dict, blank=True)
    fee_fen = models.PositiveIntegerField(default=0)
    paid = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bundle application")
        verbose_name_plural = _("bundle applications")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


class Case(WorkflowModel, SlaMixin):
    """An application (办件) for one service item, processed under the version it was filed under."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    item = models.ForeignKey(
        ServiceItem, models.PROTECT, related_name="cases", verbose_name=_("service item")
    )
    # Foreign keys no query filters by carry no index of their own (only the protected delete of
    # a version, person, entity, licence or org unit would look; those are retired, not deleted).
    item_version = models.ForeignKey(ServiceItemVersion, models.PROTECT, related_name="cases", db_index=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="service_cases",
        verbose_name=_("applicant"),
        db_index=False,  # case_applicant leads with it
    )
    applicant_person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    applicant_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"), db_index=False
    )  # scope queries use org_path
    # The org unit's path, kept on the row so worklists filter by scope without a join.
    org_path = models.CharField(max_length=128)
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
        db_index=False,  # case_worklist leads with it
    )
    bundle_application = models.ForeignKey(
        BundleApplication, models.PROTECT, null=True, blank=True, related_name="cases"
    )
    data = models.JSONField(_("form data"), default=dict, blank=True)
    sources = models.JSONField(default=dict, blank=True)  # field -> where the value came from
    materials = models.JSONField(default=dict, blank=True)  # material code -> how it is satisfied
    correction_items = models.JSONField(default=list, blank=True)
    # 容缺受理: the tolerable materials accepted as owed ([{"code", "name", "form"}]) and the date
    # by which they must arrive (set by the counter at acceptance; None once nothing is owed).
    # db_default: rows bulk-loaded with SQL (benchmarks, imports) need not name the column.
    owed_materials = models.JSONField(
        _("owed materials"), default=list, db_default=models.Value("[]"), blank=True
    )
    owed_until = models.DateField(_("owed materials due"), null=True, blank=True)
    fee_fen = models.PositiveIntegerField(_("fee (fen)"), default=0)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    step_index = models.PositiveSmallIntegerField(default=0)
    decision_note = models.TextField(_("reason"), blank=True)
    licence = models.ForeignKey(
        Licence, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    escalated_at = models.DateTimeField(null=True, blank=True)  # stamped by the SLA scan
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every index is paid for on each row the SLA scan moves (a non-HOT UPDATE writes all of
    # them), so a case has only the indexes its queries use: the single-column state, clock
    # state and deadline indexes of the mixins are covered by the composite ones below.
    state = models.CharField(_("state"), max_length=32)
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, choices=SlaState.choices, default=SlaState.NONE
    )
    sla_deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Scoped worklists and their counts: the clock state and the scope path are in the
            # index so the counts per filter are an index-only scan.
            models.Index(
                fields=["department", "state", "-id", "sla_state", "org_path"], name="case_worklist"
            ),
            models.Index(fields=["org_path"], name="case_org_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["applicant", "-id"], name="case_applicant"),
            models.Index(fields=["sla_state", "sla_deadline"], name="case_sla_scan"),
            # The cockpit's materialization reads one day of submissions or decisions, and the
            # cases changed since its last run.
            models.Index(fields=["submitted_at"], name="case_submitted"),
            models.Index(fields=["completed_at"], name="case_completed"),
            models.Index(fields=["updated_at"], name="case_updated"),
            # An entity's cases (supervision's master record reads its ratings and the sharing
            # calls made for them); partial: cases of individuals pay nothing.
            models.Index(
                fields=["applicant_entity", "-id"],
                name="case_applicant_entity",
                condition=models.Q(applicant_entity__isnull=False),
            ),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return f"{self.number} {self.item.code}"

    @property
    def steps(self) -> list[dict]:
        return self.item_version.review_steps or [{"name": "审核", "mode": "single"}]

    @property
    def current_step(self) -> dict | None:
        if self.state != "accepted":
            return None
        steps = self.steps
        return steps[self.step_index] if self.step_index < len(steps) else None


class Opinion(models.Model):
    """One reviewer's opinion on one review step of a case (会签: several per step)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="opinions")
    step_index = models.PositiveSmallIntegerField()
    step_name = models.CharField(max_length=100)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=[("approve", _("approve")), ("reject", _("reject"))])
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["case", "step_index", "at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "step_index", "reviewer"], name="one_opinion_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.step_index} {self.decision}"


class Draft(models.Model):
    """A saved, not yet submitted form (one per applicant and service item or bundle)."""

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)  # "item:<code>" | "bundle:<code>"
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("application draft")
        verbose_name_plural = _("application drafts")
        constraints = [models.UniqueConstraint(fields=["applicant", "key"], name="one_draft_per_form")]

    def __str__(self) -> str:
        return self.key


class Rating(models.Model):
    """A 好差评 rating of a completed case (一事一评), 5 = 非常满意 … 1 = 非常不满意."""

    class State(models.TextChoices):
        RECORDED = "recorded", _("recorded")
        RECTIFYING = "rectifying", _("rectification in progress")
        RECTIFIED = "rectified", _("rectified")
        APPEALED = "appealed", _("under appeal review")
        UPHELD = "upheld", _("appeal: rating upheld")
        REVISED = "revised", _("appeal: handling revised")

    case = models.OneToOneField(Case, models.PROTECT, related_name="rating")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    item = models.ForeignKey(ServiceItem, models.PROTECT, related_name="ratings")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("overall satisfaction"))
    sub_scores = models.JSONField(_("sub-indicators"), default=dict)
    comment = models.TextField(_("comment"), blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECORDED)
    work_order_id = models.BigIntegerField(null=True, blank=True)
    rectification_result = models.TextField(_("rectification result"), blank=True)
    appeal_reason = models.TextField(_("appeal"), blank=True)
    appeal_result = models.TextField(_("appeal result"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the rectification work order closed (the cockpit's rectification time), and when the
    # rating last changed (its materialization recomputes only the days of changed ratings).
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-id"]
        # The cockpit's materialization reads one day of ratings, and the ratings changed since.
        indexes = [
            models.Index(fields=["created_at"], name="rating_created"),
            models.Index(fields=["updated_at"], name="rating_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.score}"


from zhengtong.services.workflows import CASE_FLOW  # noqa: E402

Case.workflow = CASE_FLOW
