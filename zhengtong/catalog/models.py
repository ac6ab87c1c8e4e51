"""The public data catalogue (数据目录): data resources, their immutable versions, loads, usage,
conditional-access applications and data users' API keys.

A ``DataResource`` is catalogue metadata plus a pointer to its current ``ResourceVersion``; the
rows themselves live in the datastore (Parquet, ``table_key``), one "raw" and one desensitized
"public" variant per version. The catalogue's ``current_version`` row is the source of truth for
which version is served.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.workflow import WorkflowModel


class Domain(models.TextChoices):
    ECONOMY = "economy", _("Economy and enterprises")
    TRANSPORT = "transport", _("Transport")
    ENVIRONMENT = "environment", _("Environment")
    GOVERNMENT_SERVICES = "government_services", _("Government services")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    SOCIAL = "social", _("Social security and welfare")
    URBAN = "urban", _("Urban construction")
    AGRICULTURE = "agriculture", _("Agriculture")
    CULTURE = "culture", _("Culture and tourism")
    PUBLIC_SAFETY = "public_safety", _("Public safety")
    OTHER = "other", _("Other")


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("real time")
    HOURLY = "hourly", _("hourly")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")
    IRREGULAR = "irregular", _("irregular")


class Openness(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("open without conditions")
    CONDITIONAL = "conditional", _("open on conditions")
    CLOSED = "closed", _("not open")


class Licence(models.TextChoices):
    """The licences of ``zhengtong.catalog.licences.REGISTRY`` (kept equal by a test)."""

    CC_BY_4 = "CC-BY-4.0", "CC BY 4.0"
    CC_BY_SA_4 = "CC-BY-SA-4.0", "CC BY-SA 4.0"
    CC0 = "CC0-1.0", "CC0 1.0"
    ODC_BY = "ODC-BY-1.0", "ODC-BY 1.0"
    ODBL = "ODbL-1.0", "ODbL 1.0"
    PDDL = "PDDL-1.0", "PDDL 1.0"
    GOV_OPEN = "gov-open", _("Government open data licence")
    CC_BY_NC_4 = "CC-BY-NC-4.0", "CC BY-NC 4.0"
    OTHER_OPEN = "other-open", _("Other open licence")
    NOT_SPECIFIED = "notspecified", _("Licence not specified")


class DataResource(WorkflowModel):
    """A catalogued dataset (数据资源): metadata, owner, openness and grade, current version."""

    name = models.SlugField(_("name"), max_length=100, unique=True, allow_unicode=False)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="data_resources", verbose_name=_("department")
    )
    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="data_resources", verbose_name=_("org unit")
    )
    domain = models.CharField(_("domain"), max_length=32, choices=Domain.choices, default=Domain.OTHER)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    keywords_en = models.JSONField(_("English keywords"), default=list, blank=True)
    update_frequency = models.CharField(
        _("update frequency"),
        max_length=16,
        choices=UpdateFrequency.choices,
        default=UpdateFrequency.IRREGULAR,
    )
    temporal_start = models.DateField(_("temporal coverage from"), null=True, blank=True)
    temporal_end = models.DateField(_("temporal coverage to"), null=True, blank=True)
    spatial = models.CharField(_("spatial coverage (region code)"), max_length=15, blank=True)
    licence = models.CharField(_("licence"), max_length=32, choices=Licence.choices, default=Licence.CC_BY_4)
    # Harvested records (metadata only; the data stays at the origin): where they come from.
    harvest_source = models.ForeignKey(
        "HarvestSource", models.SET_NULL, null=True, blank=True, related_name="resources"
    )
    origin_id = models.CharField(_("identifier at the origin"), max_length=300, blank=True)
    origin_url = models.URLField(_("page at the origin"), max_length=500, blank=True)
    origin_modified = models.CharField(max_length=64, blank=True)
    openness = models.CharField(
        _("openness"), max_length=16, choices=Openness.choices, default=Openness.UNCONDITIONAL
    )
    grade = models.CharField(_("grade"), max_length=2, default="L1")
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    current_version = models.ForeignKey(
        "ResourceVersion",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    # Lower-cased text the unsegmented Chinese search matches against (title, description,
    # keywords, field names and titles); rebuilt by the services on every metadata/schema change.
    search_text = models.TextField(blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        ordering = ["-modified_at", "-id"]
        indexes = [
            models.Index(fields=["state", "openness"], name="catalog_res_state_open"),
            models.Index(fields=["modified_at", "id"], name="catalog_res_modified"),
        ]
        verbose_name = _("data resource")
        verbose_name_plural = _("data resources")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"{self.name} {self.title}"

    @property
    def table_key(self) -> str:
        return f"res-{self.pk}"


class ResourceVersion(models.Model):
    """One immutable loaded version of a resource: its schema (Frictionless Table Schema, each
    field with "classification", "grade", "policy" and "public_grade") and row count."""

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    schema = models.JSONField(_("schema"))
    row_count = models.BigIntegerField(_("rows"), default=0)
    table_key = models.CharField(max_length=64)
    # The datastore's own version number (the catalog number and the datastore's may differ).
    store_version = models.PositiveIntegerField(default=0)
    source_format = models.CharField(_("source format"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="catalog_version_unique_number")
        ]
        verbose_name = _("resource version")
        verbose_name_plural = _("resource versions")

    def __str__(self) -> str:
        return f"{self.resource.name} v{self.number}"

    @property
    def fields(self) -> list[dict]:
        return list(self.schema.get("fields", []))


class LoadJob(models.Model):
    """One ingestion of a file into a resource (a background task); a failure records its errors
    and leaves the previous version current."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    class Mode(models.TextChoices):
        REPLACE = "replace", _("replace")
        APPEND = "append", _("append")

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="loads")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.REPLACE)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=40, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(max_length=500)
    file_size = models.BigIntegerField(_("size"), default=0)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    source_format = models.CharField(_("format"), max_length=16, blank=True)
    # [{"row": 3, "field": "capital", "rule": "type", "message": "..."}] (row 0: the whole file)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    row_count = models.BigIntegerField(_("rows"), default=0)
    version = models.ForeignKey(
        ResourceVersion, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("version")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("load job")
        verbose_name_plural = _("load jobs")

    def __str__(self) -> str:
        return f"load {self.pk} {self.resource.name} ({self.state})"

    def audit_label(self) -> str:
        return f"load {self.pk} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)


class UsageDaily(models.Model):
    """Views, downloads and API calls of a resource on one day (the open-data index reads these)."""

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="usage")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["resource", "day"], name="catalog_usage_unique_day")]
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")

    def __str__(self) -> str:
        return f"{self.resource_id} {self.day}"


class DataService(models.Model):
    """A catalogued API (数据服务, DCAT-AP ``dcat:DataService``) beyond the automatic row APIs: its
    base address, OpenAPI description, access conditions, rate limit, the datasets it serves, and
    its availability as last checked."""

    class Access(models.TextChoices):
        OPEN = "open", _("open to anyone")
        KEY = "key", _("with an API key")
        APPLICATION = "application", _("after an application")

    name = models.SlugField(_("name"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    base_url = models.URLField(_("base address"), max_length=500)
    openapi_url = models.URLField(_("OpenAPI description"), max_length=500, blank=True)
    access = models.CharField(_("access"), max_length=12, choices=Access.choices, default=Access.OPEN)
    conditions = models.TextField(_("access conditions"), blank=True)
    rate_limit = models.CharField(_("rate limit"), max_length=100, blank=True)
    licence = models.CharField(_("licence"), max_length=32, choices=Licence.choices, default=Licence.CC_BY_4)
    datasets = models.ManyToManyField(
        DataResource, blank=True, related_name="dataservices", verbose_name=_("datasets")
    )
    available = models.BooleanField(null=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data service")
        verbose_name_plural = _("data services")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"data service {self.name}"


class ResourceAttachment(models.Model):
    """A further resource of a dataset besides its data table (CKAN's "resources", DCAT's
    distributions): a document (an uploaded file, PDF, DOCX…, kept under CATALOG_UPLOAD_DIR and
    served with the permission its own grade allows) or an API link (an address and what it
    does, linked to the API catalogue's entry when there is one)."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("document")
        API = "api", _("API link")

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Documents: the grade of what the file holds (it caps who may download it, as for fields).
    grade = models.CharField(_("grade"), max_length=2, default="L1")
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(_("size"), default=0)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file_format = models.CharField(_("format"), max_length=12, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    # API links: the address and, when the API is catalogued, its entry.
    url = models.URLField(_("address"), max_length=500, blank=True)
    dataservice = models.ForeignKey(
        DataService, models.SET_NULL, null=True, blank=True, related_name="links", verbose_name=_("API")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["resource", "kind", "id"]
        verbose_name = _("further resource")
        verbose_name_plural = _("further resources")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"{self.kind} {self.pk} {self.title}"


class HarvestSource(models.Model):
    """Another portal whose catalogue is harvested (CKAN Action API or a DCAT-AP RDF feed) into
    this one as metadata records of ``department``, every ``interval_hours``."""

    class Kind(models.TextChoices):
        CKAN = "ckan", _("CKAN Action API")
        DCAT = "dcat", _("DCAT-AP RDF")

    name = models.SlugField(_("name"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    url = models.URLField(_("address"), max_length=500)
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("department"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    interval_hours = models.PositiveSmallIntegerField(_("every (hours)"), default=24)
    active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("harvest source")
        verbose_name_plural = _("harvest sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"harvest source {self.name}"


class HarvestRun(models.Model):
    """One harvest of a source and its report: what was created, updated, left unchanged and
    withdrawn, and the errors per record."""

    source = models.ForeignKey(HarvestSource, models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    # [{"record": "<origin id>", "message": "..."}], at most HARVEST_MAX_ERRORS
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("harvest run")
        verbose_name_plural = _("harvest runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"harvest {self.source_id} at {self.started_at}"


class DataApplication(WorkflowModel):
    """A data user's application (有条件开放数据使用申请) for a conditionally open resource,
    decided by the owning department; approval grants access to the requested fields."""

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="data_applications")
    purpose = models.TextField(_("purpose"))
    fields = models.JSONField(_("fields requested"), default=list)
    # Denormalised from the resource so permissions (org scope, department) apply to the application.
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data application")
        verbose_name_plural = _("data applications")

    def __str__(self) -> str:
        return f"application {self.pk} for {self.resource.name}"

    def audit_label(self) -> str:
        return f"application {self.pk} {self.resource.name}"


from zhengtong.catalog.workflows import APPLICATION_FLOW, RESOURCE_FLOW  # noqa: E402

DataResource.workflow = RESOURCE_FLOW
DataApplication.workflow = APPLICATION_FLOW
