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
    # GB/T 39554.1 实施编码: the implementing body's USCC (18) + the basic code (基本编码, 12:
    # type 2 + main item 5 + sub-item 3 + 2 for the handling item); checked by items.check_standard_code.
    standard_code = models.CharField(
        _("implementation code (实施编码)"), max_length=40, blank=True, default=""
    )
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
    # 通办范围: where a counter may receive it besides the competent unit (models_onestop.Tongban).
    tongban = models.CharField(_("通办 scope"), max_length=16, blank=True, default="", db_default="")
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
    # 实施清单 fields (docs/services.md "Implementation list"): where and when it is handled, the
    # enquiry phone, 即办件/承诺件, how the result is delivered, 通办 scope, special steps, FAQ.
    place = models.CharField(_("place of handling"), max_length=300, blank=True, default="")
    hours = models.CharField(_("office hours"), max_length=200, blank=True, default="")
    enquiry_phone = models.CharField(_("enquiry phone"), max_length=60, blank=True, default="")
    handling_type = models.CharField(
        _("type of handling"),
        max_length=12,
        blank=True,
        default="",
        choices=[("immediate", _("immediate (即办件)")), ("promised", _("promised (承诺件)"))],
    )
    delivery = models.JSONField(_("delivery of the result"), default=list, blank=True)
    tongban_scope = models.CharField(
        _("通办 scope"),
        max_length=12,
        blank=True,
        default="",
        choices=[
            ("county", _("county-wide (全县通办)")),
            ("city", _("city-wide (全市通办)")),
            ("province", _("province-wide (全省通办)")),
            ("national", _("across provinces (跨省通办)")),
        ],
    )
    special_steps = models.JSONField(_("special steps (特殊环节)"), default=list, blank=True)
    faq = models.JSONField(_("frequent questions"), default=list, blank=True)
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
    # Who filed it when not the applicant (a counter clerk, a family proxy), and through which
    # channel: "online" (the applicant), "counter" (帮办: staff at a counter), "proxy" (代办 online).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    intake_channel = models.CharField(
        _("channel"), max_length=8, default="online", db_default="online", blank=True
    )
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
    def intake_or_none(self):  # the counter intake (models_onestop), or None for online cases
        return intake_or_none(self)

    @property
    def transfer_or_none(self):  # the 通办 transfer (models_onestop), or None
        return transfer_or_none(self)

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
    """A 好差评 rating (GB/T 39734): of one stage of a case (after acceptance, after it ended;
    one each), 5 = 非常满意 … 1 = 非常不满意, on a channel, of the service and the staff member who
    handled that stage. A department may contest a malicious 差评 (申诉复核); an upheld contest
    excludes the rating from every statistic."""

    class State(models.TextChoices):
        RECORDED = "recorded", _("recorded")
        RECTIFYING = "rectifying", _("rectification in progress")
        RECTIFIED = "rectified", _("rectified")
        APPEALED = "appealed", _("under appeal review")
        UPHELD = "upheld", _("appeal: rating upheld")
        REVISED = "revised", _("appeal: handling revised")

    class Stage(models.TextChoices):
        ACCEPTED = "accepted", _("acceptance (受理)")
        ENDED = "ended", _("result (办结)")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("counter device or QR code (窗口评价器、二维码)")
        WEB = "web", _("web (PC端)")
        MOBILE = "mobile", _("mobile (移动端)")
        SMS = "sms", _("SMS link (短信)")
        HOTLINE = "hotline", _("12345 hotline (12345热线)")

    class Verdict(models.TextChoices):
        NONE = "", _("not given")
        SATISFIED = "satisfied", _("satisfied with the rectification")
        UNSATISFIED = "unsatisfied", _("not satisfied with the rectification")

    class Dispute(models.TextChoices):
        NONE = "", _("none")
        PENDING = "pending", _("contest under review")
        UPHELD = "upheld", _("contest upheld: excluded as malicious")
        DISMISSED = "dismissed", _("contest dismissed")

    case = models.ForeignKey(Case, models.PROTECT, related_name="ratings")
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.ENDED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    # The staff member who handled the rated stage (the accepting clerk; the deciding reviewer).
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    item = models.ForeignKey(ServiceItem, models.PROTECT, related_name="ratings")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("overall satisfaction"))
    sub_scores = models.JSONField(_("sub-indicators"), default=dict)
    reasons = models.JSONField(_("reasons for a bad rating"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECORDED)
    work_order_id = models.BigIntegerField(null=True, blank=True)
    rectification_result = models.TextField(_("rectification result"), blank=True)
    # The call-back of the rectification (回访, mandatory before it closes): the rater's
    # satisfaction the department recorded.
    callback_satisfaction = models.PositiveSmallIntegerField(
        _("call-back satisfaction"), null=True, blank=True
    )
    verdict = models.CharField(
        _("verdict on the rectification"), max_length=12, choices=Verdict.choices, blank=True, default=""
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    appeal_reason = models.TextField(_("appeal"), blank=True)
    appeal_result = models.TextField(_("appeal result"), blank=True)
    dispute = models.CharField(
        _("department's contest"), max_length=10, choices=Dispute.choices, blank=True, default=""
    )
    dispute_reason = models.TextField(_("contest reason"), blank=True)
    dispute_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispute_result = models.TextField(_("contest result"), blank=True)
    # True once a contest is upheld: left out of every statistic (参评, 差评, 满意度).
    excluded = models.BooleanField(_("excluded from statistics"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the rectification work order closed (the cockpit's rectification time), and when the
    # rating last changed (its materialization recomputes only the days of changed ratings).
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["case", "stage"], name="one_rating_per_stage")]
        # The cockpit's materialization reads one day of ratings, and the ratings changed since.
        indexes = [
            models.Index(fields=["created_at"], name="rating_created"),
            models.Index(fields=["updated_at"], name="rating_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.stage} {self.score}"


from zhengtong.services.models_onestop import (  # noqa: E402,F401
    Commitment,
    CommitmentCheck,
    CommitmentText,
    CounterIntake,
    ProxyConsent,
    Transfer,
    intake_or_none,
    transfer_or_none,
)
from zhengtong.services.workflows import CASE_FLOW  # noqa: E402

Case.workflow = CASE_FLOW


# --- 秒批 and 免申即享 (services/services/autodecide.py, eligibility.py) -----------------------


class DecisionRuleSet(models.Model):
    """The rules (CertLogic, evaluated by the codes module's evaluator) under which a case filed
    under one item version is decided without a person (秒批). Immutable: a change publishes a
    new ``number``; the case's timeline and audit event name the number it was decided under."""

    version = models.ForeignKey(ServiceItemVersion, models.PROTECT, related_name="decision_rule_sets")
    number = models.PositiveIntegerField(_("rule version"))
    # [{"id", "logic", "explain", "explain_en"}]: every rule must pass.
    rules = models.JSONField(_("rules"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("automatic decision rules")
        verbose_name_plural = _("automatic decision rules")
        ordering = ["version", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="decision_rules_unique"),
            models.UniqueConstraint(
                fields=["version"], condition=models.Q(is_active=True), name="decision_rules_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} rules v{self.number}"


class Benefit(models.Model):
    """A benefit granted without an application (免申即享): an eligibility rule over the registries
    (CertLogic), the service item its grant is recorded under, and whom it is for."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    item = models.ForeignKey(ServiceItem, models.PROTECT, related_name="benefits")
    holder_kind = models.CharField(
        _("for"), max_length=10, choices=[("person", _("person")), ("entity", _("legal entity"))]
    )
    number = models.PositiveIntegerField(_("rule version"), default=1)
    # {"logic", "explain", "explain_en"}; data: {"person": {...}} or {"entity": {...}}, "external".
    rule = models.JSONField(_("eligibility rule"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)
    last_scan_at = models.DateTimeField(_("last scan"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit without application")
        verbose_name_plural = _("benefits without application")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Entitlement(models.Model):
    """One person or entity a scan found entitled to a benefit (政策找人): proposed, then granted on
    the holder's confirmation (a case decided without a person) or declined."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        GRANTED = "granted", _("granted")
        DECLINED = "declined", _("declined")

    benefit = models.ForeignKey(Benefit, models.PROTECT, related_name="entitlements")
    person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    entity = models.ForeignKey(
        LegalEntity, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    rule_number = models.PositiveIntegerField(_("rule version"))
    case = models.ForeignKey(Case, models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["benefit", "person"],
                condition=models.Q(person__isnull=False),
                name="entitlement_person",
            ),
            models.UniqueConstraint(
                fields=["benefit", "entity"],
                condition=models.Q(entity__isnull=False),
                name="entitlement_entity",
            ),
        ]
        indexes = [
            models.Index(
                fields=["person"], name="entitlement_of_person", condition=models.Q(person__isnull=False)
            ),
            models.Index(
                fields=["entity"], name="entitlement_of_entity", condition=models.Q(entity__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.benefit.code} {self.state}"


# --- e-licence wallet (卡包), 亮证 and consented use (services/services/wallet.py) --------------


class LicenceConsent(models.Model):
    """The holder's consent that a third party uses one e-licence for one purpose until an expiry."""

    licence = models.ForeignKey(Licence, models.PROTECT, related_name="+")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    party_name = models.CharField(_("third party"), max_length=200)
    party_code = models.CharField(_("third party's credit code"), max_length=18, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    token = models.CharField(max_length=64, unique=True)  # HMAC digest of the access key
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-licence use consent")
        verbose_name_plural = _("e-licence use consents")
        ordering = ["-id"]
        indexes = [models.Index(fields=["holder", "-id"], name="consent_holder")]

    def __str__(self) -> str:
        return f"{self.party_name}: {self.purpose}"


class LicenceUse(models.Model):
    """One use of an e-licence the holder sees: shown (亮证) and verified, or used under a consent."""

    class Kind(models.TextChoices):
        VERIFIED = "verified", _("shown and verified (亮证)")
        USED = "used", _("used under consent")

    licence = models.ForeignKey(Licence, models.PROTECT, related_name="+", db_index=False)
    consent = models.ForeignKey(LicenceConsent, models.PROTECT, null=True, blank=True, related_name="uses")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    party = models.CharField(_("by"), max_length=200, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-licence use")
        verbose_name_plural = _("e-licence uses")
        ordering = ["-id"]
        indexes = [models.Index(fields=["licence", "-id"], name="licence_use_licence")]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.kind}"
