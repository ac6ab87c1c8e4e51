"""Open government (政务公开): proactive disclosure, requests for disclosure with statutory clocks,
annual reports, consultations on drafts, the leaders' mailbox, lists of powers and 双公示."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.sla import SlaMixin, SlaState
from zhengtong.core.workflow import WorkflowModel


class Category(models.TextChoices):
    """The categories of proactive disclosure (政府信息公开条例 §19–§20)."""

    INSTITUTION = "institution", _("institution and functions (机构职能)")
    POLICY = "policy", _("policies and normative documents (政策文件)")
    PLAN = "plan", _("plans and programmes (规划计划)")
    STATISTICS = "statistics", _("statistics (统计信息)")
    LICENSING = "licensing", _("administrative licensing (行政许可)")
    PENALTY = "penalty", _("penalties and enforcement (行政处罚和强制)")
    FEES = "fees", _("administrative fees (行政事业性收费)")
    PROCUREMENT = "procurement", _("government procurement (政府采购)")
    BUDGET = "budget", _("budgets and final accounts (财政预决算)")
    PROJECTS = "projects", _("major construction projects (重大建设项目)")
    PERSONNEL = "personnel", _("civil-service recruitment (公务员招考录用)")
    EMERGENCY = "emergency", _("emergencies (突发公共事件)")
    SERVICES = "services", _("public services (公共服务)")
    OTHER = "other", _("other (其他)")


class Validity(models.TextChoices):
    VALID = "valid", _("valid (有效)")
    AMENDED = "amended", _("amended (已修改)")
    REPLACED = "replaced", _("replaced (已被替代)")
    REPEALED = "repealed", _("repealed (已废止)")
    EXPIRED = "expired", _("expired (已失效)")


# 主题分类 (the State Council's topic classification, first level).
TOPICS: dict[str, object] = {
    "general": _("General government affairs"),
    "economy": _("Economy and trade"),
    "finance": _("Finance and audit"),
    "land": _("Land, resources and energy"),
    "agriculture": _("Agriculture and water"),
    "industry": _("Industry and transport"),
    "urban": _("Urban and rural development"),
    "environment": _("Environmental protection"),
    "education": _("Education and culture"),
    "health": _("Health and sport"),
    "labour": _("Labour, personnel and social security"),
    "civil": _("Civil affairs and safety"),
    "market": _("Market regulation"),
    "other": _("Other"),
}


class Document(models.Model):
    """A document disclosed proactively (or a disclosed reply's document). Replaced and repealed
    documents stay, with their status, so they remain findable."""

    index_number = models.CharField(_("index number"), max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    topic = models.CharField(_("topic"), max_length=20, default="general")
    title = models.CharField(_("title"), max_length=300)
    doc_number = models.CharField(_("document number"), max_length=80, blank=True)
    issuing_body = models.CharField(_("issuing body"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    published_on = models.DateField(_("published on"), db_index=True)
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    validity = models.CharField(_("validity"), max_length=10, choices=Validity.choices, default="valid")
    replaced_by = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="replaces", verbose_name=_("replaced by")
    )
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True)
    body = models.TextField(_("text"))
    # The search terms (bigrams of Han text, words of Latin text), space-separated: what the
    # full-text index holds (SQLite FTS5 over these columns; PostgreSQL a GIN expression index).
    grams_title = models.TextField(default="", editable=False)
    grams_body = models.TextField(default="", editable=False)
    # A document disclosed in answer to a request (its redacted version), else null.
    source_request = models.ForeignKey(
        "InfoRequest", models.PROTECT, null=True, blank=True, related_name="published_documents"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [
            models.Index(fields=["department", "category", "-published_on"], name="ogdoc_dept_cat"),
            models.Index(fields=["-published_on", "-id"], name="ogdoc_recent"),
        ]
        verbose_name = _("disclosure document")
        verbose_name_plural = _("disclosure documents")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"{self.index_number} {self.title[:60]}"


class Guide(models.Model):
    """A department's disclosure guide (政府信息公开指南, 条例 §12)."""

    department = models.OneToOneField(Department, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    body = models.TextField(_("guide"))
    office = models.CharField(_("disclosure office"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("office hours"), max_length=100, blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("disclosure guide")
        verbose_name_plural = _("disclosure guides")

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return str(self.department_id)


class ReplyType(models.TextChoices):
    """The answers of 条例 §36 (and §37, §39)."""

    DISCLOSED = "disclosed", _("disclosed (予以公开)")
    ALREADY_PUBLIC = "already_public", _("already public: where to find it (已主动公开)")
    PARTLY = "partly", _("partly disclosed, the rest redacted (部分公开)")
    NOT_DISCLOSABLE = "not_disclosable", _("not disclosable (不予公开)")
    NOT_HELD = "not_held", _("not held by this body (本机关不掌握)")
    REFERRED = "referred", _("not this body's to disclose: referred (非本机关负责公开)")
    REPEAT = "repeat", _("repeated request (重复申请)")
    NOT_GOVERNMENT_INFO = "not_government_info", _("not government information (不属于政府信息)")


class InfoRequest(WorkflowModel, SlaMixin):
    """A request for disclosure (依申请公开), answered on the statutory clock."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    # Every index is written again when the SLA scan moves a clock: the requester's and the
    # department's lookups are served by ogreq_requester and ogreq_worklist / ogreq_report, so
    # the foreign keys get no index of their own.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("requester"),
        db_index=False,
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="+", verbose_name=_("department"), db_index=False
    )
    description = models.TextField(_("information requested"))
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    delivery = models.CharField(_("delivery"), max_length=10, default="online")
    # The one extension (§33).
    extended_on = models.DateField(_("extended on"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extension_code = models.CharField(_("extension notice code"), max_length=64, blank=True)
    # §30 correction and §32 third-party consultation (the clock pauses meanwhile).
    correction_asked_on = models.DateField(_("correction asked on"), null=True, blank=True)
    correction_note = models.TextField(_("what to correct"), blank=True)
    corrected_on = models.DateField(_("corrected on"), null=True, blank=True)
    third_party = models.CharField(_("third party consulted"), max_length=200, blank=True)
    third_party_due_on = models.DateField(_("third party answers by"), null=True, blank=True)
    third_party_opinion = models.TextField(_("third party's opinion"), blank=True)
    # The reply (§36).
    reply_type = models.CharField(_("reply type"), max_length=24, choices=ReplyType.choices, blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    legal_ground = models.TextField(_("legal ground"), blank=True)
    public_link = models.URLField(_("where it is public"), max_length=500, blank=True)
    referral_body = models.CharField(_("competent body"), max_length=200, blank=True)
    referral_contact = models.CharField(_("its contact"), max_length=200, blank=True)
    previous_number = models.CharField(_("earlier request"), max_length=24, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_late = models.BooleanField(default=False)
    letter_code = models.CharField(_("reply letter code"), max_length=64, blank=True)
    # Publication (Alaveteli: open when the requester agrees).
    publish_consent = models.BooleanField(_("requester agrees to publication"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Administrative review (行政复议) and suits (行政诉讼), counted in the annual report.
    review_requested_at = models.DateTimeField(_("review requested at"), null=True, blank=True)
    review_reason = models.TextField(_("grounds for review"), blank=True)
    review_outcome = models.CharField(_("review outcome"), max_length=12, blank=True)
    fee_fen = models.PositiveIntegerField(_("fee (fen)"), default=0)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    # The SLA scan rewrites every index of a row it changes: the clock state and deadline are
    # indexed only by the scan's partial indexes (below), not also one by one as the mixin does.
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, choices=SlaState.choices, default=SlaState.NONE
    )
    sla_deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "state", "-created_at"], name="ogreq_worklist"),
            models.Index(fields=["requester", "-created_at"], name="ogreq_requester"),
            models.Index(fields=["department", "created_at"], name="ogreq_report"),
            # The SLA scan's UPDATE (core.sla) finds running clocks past their deadline and
            # on-time clocks past their due-soon day. Partial indexes hold only those clocks, so
            # they stay small, and a clock the scan makes overdue leaves both (no new entry).
            models.Index(
                fields=["sla_deadline"],
                name="ogreq_sla_running",
                condition=models.Q(sla_state__in=["on_time", "due_soon"]),
            ),
            models.Index(
                fields=["sla_due_soon_on"], name="ogreq_sla_on_time", condition=models.Q(sla_state="on_time")
            ),
        ]
        verbose_name = _("request for disclosure")
        verbose_name_plural = _("requests for disclosure")

    def __str__(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return self.number


class RequestDocument(models.Model):
    """A document given in answer to a request: the original (never published) and its redacted
    version, published only after a person checked it."""

    request = models.ForeignKey(InfoRequest, models.CASCADE, related_name="documents")
    filename = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("format"), max_length=8)  # text | pdf | docx
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    redacted = models.BinaryField(null=True)
    redacted_text = models.TextField(blank=True)
    findings = models.JSONField(default=list, blank=True)
    extra_terms = models.JSONField(default=list, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("request document")
        verbose_name_plural = _("request documents")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"{self.request_id}/{self.filename}"


class AnnualReport(models.Model):
    """A department's annual disclosure report (条例 §49–§50), generated from the platform's
    records in the prescribed tables, edited, then published (by 31 January)."""

    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    tables = models.JSONField(default=dict)
    overview = models.TextField(_("overview"), blank=True)
    problems = models.TextField(_("problems and improvements"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-year", "department_id"]
        constraints = [models.UniqueConstraint(fields=["department", "year"], name="ogreport_once")]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"{self.department_id}/{self.year}"


class Consultation(models.Model):
    """A draft opened for public comments (意见征集), article by article."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open for comments")
        CLOSED = "closed", _("closed")
        SUMMARIZED = "summarized", _("summary published")

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    introduction = models.TextField(_("introduction"), blank=True)
    rules = models.TextField(_("moderation rules"))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    summary = models.TextField(_("summary of opinions"), blank=True)
    summarized_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("public consultation")
        verbose_name_plural = _("public consultations")
        ordering = ["-opens_on", "-id"]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return self.title[:60]


class Article(models.Model):
    consultation = models.ForeignKey(Consultation, models.CASCADE, related_name="articles")
    position = models.PositiveSmallIntegerField()
    heading = models.CharField(max_length=100)
    text = models.TextField()

    class Meta:
        verbose_name = _("consultation article")
        verbose_name_plural = _("consultation articles")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["consultation", "position"], name="ogarticle_once")]

    def __str__(self) -> str:
        return self.heading


class Comment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("not published")

    class Outcome(models.TextChoices):
        NONE = "", _("not yet decided")
        ADOPTED = "adopted", _("adopted (采纳)")
        PARTLY = "partly", _("partly adopted (部分采纳)")
        REJECTED = "rejected", _("not adopted (未采纳)")

    consultation = models.ForeignKey(Consultation, models.CASCADE, related_name="comments")
    article = models.ForeignKey(Article, models.CASCADE, null=True, blank=True, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    moderation_reason = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    outcome_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consultation comment")
        verbose_name_plural = _("consultation comments")
        ordering = ["id"]
        indexes = [models.Index(fields=["consultation", "state"], name="ogcomment_state")]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"{self.consultation_id}#{self.pk}"


class Letter(models.Model):
    """A letter to a department's leaders (领导信箱), handled as a work order
    (``source_ref`` ``mailbox:<id>``); its reply is public when the writer agreed."""

    writer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField()
    publish_consent = models.BooleanField(default=False)
    work_order_number = models.CharField(max_length=20, blank=True)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return f"mailbox:{self.pk}"


class PowerType(models.TextChoices):
    LICENSING = "licensing", _("licensing (行政许可)")
    PENALTY = "penalty", _("penalty (行政处罚)")
    COERCION = "coercion", _("coercive measure (行政强制)")
    COLLECTION = "collection", _("collection (行政征收)")
    BENEFIT = "benefit", _("benefit (行政给付)")
    INSPECTION = "inspection", _("inspection (行政检查)")
    CONFIRMATION = "confirmation", _("confirmation (行政确认)")
    REWARD = "reward", _("reward (行政奖励)")
    RULING = "ruling", _("ruling (行政裁决)")
    OTHER = "other", _("other (其他行政权力)")


class Power(models.Model):
    """One entry of a department's list of powers and responsibilities (权责清单)."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    power_type = models.CharField(_("type"), max_length=14, choices=PowerType.choices)
    legal_basis = models.TextField(_("legal basis"))
    responsible_unit = models.CharField(_("responsible unit"), max_length=200)
    procedure = models.TextField(_("procedure"), blank=True)
    accountability = models.TextField(_("responsibilities and accountability"), blank=True)
    life_events = models.JSONField(default=list, blank=True)
    service_items = models.JSONField(default=list, blank=True)  # service item codes
    documents = models.ManyToManyField(Document, blank=True, related_name="powers")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("power (权力事项)")
        verbose_name_plural = _("powers (权力事项)")
        ordering = ["department_id", "power_type", "code"]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return self.code


class Publicity(models.Model):
    """A 双公示 entry: a licensing (or, later, penalty) decision published in the national
    fields within 7 working days, desensitized for individuals, withdrawn when its period ends."""

    class Kind(models.TextChoices):
        LICENSING = "licensing", _("administrative licensing")
        PENALTY = "penalty", _("administrative penalty")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    source_ref = models.CharField(max_length=64, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    decision_number = models.CharField(max_length=64)  # 行政许可决定文书号
    decision_name = models.CharField(max_length=200)  # 许可决定文书名称 / 处罚名称
    party_name = models.CharField(max_length=200)  # 行政相对人名称 (masked for individuals)
    party_category = models.CharField(max_length=12)  # legal_person | individual
    party_code = models.CharField(max_length=40, blank=True)  # USCC; for individuals masked ID
    content = models.TextField()  # 许可内容 / 处罚事由与依据
    licence_number = models.CharField(max_length=64, blank=True)
    decided_on = models.DateField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    authority = models.CharField(max_length=200)  # 许可机关
    authority_code = models.CharField(max_length=40, blank=True)
    publish_by = models.DateField()
    published_on = models.DateField()
    publicity_until = models.DateField(db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("publicity (双公示)")
        verbose_name_plural = _("publicity entries (双公示)")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.audit_label()

    def audit_label(self) -> str:
        return self.source_ref


class SyncCursor(models.Model):
    """How far a periodic pull from another module got (e.g. licensing decisions)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")

    def __str__(self) -> str:
        return self.name


from zhengtong.opengov.workflows import REQUEST_FLOW  # noqa: E402

InfoRequest.workflow = REQUEST_FLOW
