"""Data sharing between departments (共享交换): what each resource may share, requests, grants,
the exchange log with its signed receipts, data objections, alerts and other installations.

A ``SharingProfile`` holds the sharing attributes of one source: a catalogue resource (rows in
the datastore) or one of the base registries (the population and legal-entity registries, read
through the registry's selectors). A department asks for a source with a ``SharingRequest``;
approved, it becomes a ``Grant`` that names the consumer, fields, row scope, purpose, delivery
mode, rate limit, hours and expiry. Every call under a grant (and every refused one with a key)
is one ``Exchange`` row with the hashes of both bodies and the platform's signed receipt.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.accounts.models import Credential, Department, OrgUnit
from zhengtong.catalog.models import DataApplication, DataResource
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel


class SharingType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("shared without conditions (无条件共享)")
    CONDITIONAL = "conditional", _("shared on conditions (有条件共享)")
    NOT_SHARED = "not_shared", _("not shared (不予共享)")


class Registry(models.TextChoices):
    PERSON = "person", _("population registry")
    ENTITY = "entity", _("legal-entity registry")


class DeliveryMode(models.TextChoices):
    VERIFICATION = "verification", _("verification (核验)")
    INTERFACE = "interface", _("interface (API)")
    BATCH = "batch", _("batch extract")


class SharingProfile(models.Model):
    """The sharing attributes of one source (a catalogue resource or a base registry): its
    sharing type, the legal basis when it is not shared, and per field whether it may be shared
    and the grade a request for it must meet. ``fields`` is a list of
    ``{"name", "title", "shareable", "grade"}``; ``key_field`` is what verification matches on;
    ``region_field`` is what a grant's row scope (a region-code prefix) applies to."""

    resource = models.OneToOneField(
        DataResource, models.CASCADE, null=True, blank=True, related_name="sharing_profile"
    )
    registry = models.CharField(_("registry"), max_length=10, choices=Registry.choices, blank=True)
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(Department, models.PROTECT, related_name="+", verbose_name=_("owner"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    sharing_type = models.CharField(
        _("sharing type"), max_length=16, choices=SharingType.choices, default=SharingType.CONDITIONAL
    )
    legal_basis = models.CharField(_("legal basis for not sharing"), max_length=500, blank=True)
    fields = models.JSONField(_("fields"), default=list)
    key_field = models.CharField(_("verification key field"), max_length=100, blank=True)
    region_field = models.CharField(_("region field"), max_length=100, blank=True)
    modes = models.JSONField(_("delivery modes"), default=list)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "org_unit"],
                condition=~models.Q(registry=""),
                name="sharing_profile_registry_unique",
            )
        ]
        verbose_name = _("sharing profile")
        verbose_name_plural = _("sharing profiles")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"sharing {self.title}"

    def field(self, name: str) -> dict | None:
        return next((f for f in self.fields if f.get("name") == name), None)

    def mode_labels(self) -> list[str]:
        return [str(DeliveryMode(m).label) for m in self.modes if m in DeliveryMode.values]


class SharingRequest(WorkflowModel, SlaMixin):
    """A department's request (共享申请) for fields of a source, decided by the owner within a
    time limit in working days; approvals needed follow the grade of the fields requested.
    ``org_unit`` and ``department`` are the owner's, so the owner's roles decide it."""

    profile = models.ForeignKey(SharingProfile, models.PROTECT, related_name="requests")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    # The requesting department and person: ours, or (``origin`` set) another installation's,
    # named by the signed request it sent (docs/sharing.md, "Between installations").
    consumer_department = models.ForeignKey(
        Department,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("requesting department"),
    )
    consumer_org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True
    )
    origin = models.CharField(_("origin installation"), max_length=100, blank=True)
    origin_reference = models.CharField(max_length=64, blank=True)
    origin_department = models.CharField(_("requesting department"), max_length=200, blank=True)
    origin_requester = models.CharField(_("requested by"), max_length=200, blank=True)
    fields = models.JSONField(_("fields"), default=list)
    grade = models.CharField(_("grade"), max_length=2, default="L1")
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    row_scope = models.CharField(_("row scope (region code)"), max_length=15, blank=True)
    mode = models.CharField(_("delivery mode"), max_length=16, choices=DeliveryMode.choices)
    rate_limit_per_minute = models.PositiveIntegerField(_("calls per minute"))
    valid_until = models.DateField(_("valid until"))
    hours_from = models.PositiveSmallIntegerField(_("from hour"), default=0)
    hours_to = models.PositiveSmallIntegerField(_("to hour"), default=24)
    service_item_code = models.CharField(_("for service item"), max_length=64, blank=True)
    # [{"user": id, "username": str, "as": "owner"|"officer", "at": iso}]
    approvals = models.JSONField(default=list, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "origin_reference"],
                condition=~models.Q(origin=""),
                name="sharing_request_origin_unique",
            )
        ]
        verbose_name = _("sharing request")
        verbose_name_plural = _("sharing requests")

    def __str__(self) -> str:
        return f"request {self.pk} {self.profile.title}"

    @property
    def consumer_label(self) -> str:
        if self.origin:
            return f"{self.origin_department} @ {self.origin}"
        return self.consumer_department.name if self.consumer_department_id else ""

    def audit_label(self) -> str:
        return f"sharing request {self.pk}"


class Grant(WorkflowModel):
    """What a consumer department may obtain from a source (共享授权): fields, row scope, purpose,
    delivery mode, rate limit, hours and expiry; suspended or revoked at once, expired by itself.
    ``org_unit`` and ``department`` are the owner's (who may suspend and revoke)."""

    request = models.OneToOneField(
        SharingRequest, models.PROTECT, related_name="grant", null=True, blank=True
    )
    profile = models.ForeignKey(SharingProfile, models.PROTECT, related_name="grants")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    # Ours, or none when ``consumer_installation`` names the other installation it was granted to.
    consumer_department = models.ForeignKey(
        Department, models.PROTECT, related_name="+", null=True, blank=True
    )
    consumer_org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", null=True, blank=True)
    consumer_installation = models.CharField(_("consumer installation"), max_length=100, blank=True)
    fields = models.JSONField(_("fields"), default=list)
    row_scope = models.CharField(_("row scope (region code)"), max_length=15, blank=True)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    mode = models.CharField(_("delivery mode"), max_length=16, choices=DeliveryMode.choices)
    rate_limit_per_minute = models.PositiveIntegerField(_("calls per minute"))
    hours_from = models.PositiveSmallIntegerField(_("from hour"), default=0)
    hours_to = models.PositiveSmallIntegerField(_("to hour"), default=24)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    service_item_code = models.CharField(_("for service item"), max_length=64, blank=True)
    credential = models.ForeignKey(Credential, models.SET_NULL, null=True, blank=True, related_name="+")
    # Scheduled batch extracts (batch grants): every N days (0: one-off only), the next one due.
    batch_every_days = models.PositiveSmallIntegerField(_("extract every (days)"), default=0)
    batch_next_at = models.DateTimeField(_("next extract"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["consumer_department", "state"], name="sharing_grant_consumer")]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        return f"grant {self.pk} {self.profile.title}"

    @property
    def consumer_label(self) -> str:
        if self.consumer_installation:
            origin = self.request.origin_department if self.request_id else ""
            return f"{origin} @ {self.consumer_installation}"
        return self.consumer_department.name if self.consumer_department_id else ""

    def audit_label(self) -> str:
        return f"sharing grant {self.pk}"


class Outcome(models.TextChoices):
    OK = "ok", _("answered")
    REFUSED = "refused", _("refused")


class Exchange(models.Model):
    """One exchange call (the message log): hashes of the request and response bodies, the
    grant, the end user and case it was made for (``on_behalf_of``, like X-Road-Issue), the
    outcome, and the platform's signed receipt. Never the bodies themselves."""

    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grant = models.ForeignKey(Grant, models.PROTECT, null=True, blank=True, related_name="exchanges")
    profile = models.ForeignKey(SharingProfile, models.PROTECT, null=True, blank=True, related_name="+")
    owner_department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+")
    consumer_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+"
    )
    mode = models.CharField(_("mode"), max_length=16, choices=DeliveryMode.choices)
    # "in": served by this installation; "out": this installation called another (``peer``).
    direction = models.CharField(max_length=3, default="in")
    peer = models.CharField(_("installation"), max_length=100, blank=True)
    on_behalf_of = models.CharField(_("case number"), max_length=64, blank=True, db_index=True)
    end_user = models.CharField(_("end user"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_sha256 = models.CharField(max_length=64)
    response_sha256 = models.CharField(max_length=64)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    at = models.DateTimeField(_("time"), db_index=True)
    receipt = models.JSONField(default=dict)
    # A batch extract's file (default storage), watermarked per grant and extract.
    file_path = models.CharField(max_length=300, blank=True)
    kid = models.CharField(max_length=100, blank=True)
    signature = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["owner_department", "-at"], name="sharing_exch_owner"),
            models.Index(fields=["consumer_department", "-at"], name="sharing_exch_consumer"),
            models.Index(fields=["grant", "-at"], name="sharing_exch_grant"),
        ]
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")

    def __str__(self) -> str:
        return f"exchange {self.receipt_id}"


class Objection(WorkflowModel, SlaMixin):
    """A consumer's data objection (数据异议) about a source's data, answered by the owner within
    a time limit in working days. ``org_unit`` and ``department`` are the owner's."""

    grant = models.ForeignKey(Grant, models.PROTECT, related_name="objections")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    field_name = models.CharField(_("field"), max_length=100, blank=True)
    record_ref = models.CharField(_("record"), max_length=100, blank=True)
    description = models.TextField(_("description"))
    answer = models.TextField(_("answer"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data objection")
        verbose_name_plural = _("data objections")

    def __str__(self) -> str:
        return f"objection {self.pk}"

    def audit_label(self) -> str:
        return f"data objection {self.pk}"


class Alert(models.Model):
    """A volume spike or a use outside a grant's hours, raised to the owner (one per grant,
    kind and day)."""

    class Kind(models.TextChoices):
        SPIKE = "spike", _("volume spike")
        OFF_HOURS = "off_hours", _("use outside the grant's hours")

    grant = models.ForeignKey(Grant, models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    day = models.DateField(_("day"))
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["grant", "kind", "day"], name="sharing_alert_daily")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.kind} {self.grant_id} {self.day}"


class Peer(models.Model):
    """Another installation in the trust list: its exchange endpoint and signing keys (a JWKS
    imported from its published keys), used to call it and to verify its receipts."""

    installation = models.CharField(_("installation"), max_length=100, unique=True)
    base_url = models.URLField(_("base URL"))
    keys = models.JSONField(_("keys"), default=dict)
    refreshed_at = models.DateTimeField(_("keys refreshed"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["installation"]
        verbose_name = _("trusted installation")
        verbose_name_plural = _("trusted installations")

    def __str__(self) -> str:
        return self.installation


class RemoteRequest(models.Model):
    """Our department's request for a source of another installation (``peer``), sent signed
    with our key; the other installation decides it on its own pages. When approved, the key it
    issued for our department comes back signed and is kept here encrypted (``key_sealed``,
    ``core.keys.seal_text``), so a remote verification needs no key from the caller."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("sharing request state", "pending")
        PARTLY_APPROVED = "partly_approved", pgettext_lazy("sharing request state", "partly approved")
        APPROVED = "approved", pgettext_lazy("sharing request state", "approved")
        REJECTED = "rejected", pgettext_lazy("sharing request state", "rejected")
        WITHDRAWN = "withdrawn", pgettext_lazy("sharing request state", "withdrawn")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    peer = models.ForeignKey(Peer, models.PROTECT, related_name="requests")
    remote_id = models.PositiveBigIntegerField(null=True, blank=True)
    profile_ref = models.PositiveBigIntegerField(_("source"))
    profile_title = models.CharField(_("source"), max_length=200)
    consumer_department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    consumer_org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    fields = models.JSONField(_("fields"), default=list)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    row_scope = models.CharField(_("row scope (region code)"), max_length=15, blank=True)
    mode = models.CharField(_("delivery mode"), max_length=16, choices=DeliveryMode.choices)
    valid_until = models.DateField(_("valid until"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)
    # The grant the other installation created, its state as last heard, and its key (encrypted).
    remote_grant = models.PositiveBigIntegerField(null=True, blank=True)
    grant_state = models.CharField(_("grant state"), max_length=40, blank=True)
    key_sealed = models.TextField(blank=True)
    key_expires_at = models.DateTimeField(_("key expires"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("request to another installation")
        verbose_name_plural = _("requests to other installations")

    def __str__(self) -> str:
        return f"remote request {self.pk} {self.peer_id} {self.profile_title}"

    def audit_label(self) -> str:
        return f"sharing request {self.reference} to another installation"


class OpenAgreement(models.Model):
    """One version of the data-use agreement (数据使用协议) that applicants for conditionally open
    data accept. Never edited: a change is a new version; acceptances name the version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("agreement text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("data-use agreement")
        verbose_name_plural = _("data-use agreements")

    def __str__(self) -> str:
        return f"v{self.version}"

    def audit_label(self) -> str:
        return f"data-use agreement v{self.version}"


class OpenTerms(models.Model):
    """The agreement version an applicant accepted for one conditional-open application."""

    application = models.OneToOneField(DataApplication, models.CASCADE, related_name="open_terms")
    agreement = models.ForeignKey(OpenAgreement, models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        verbose_name = _("accepted agreement")
        verbose_name_plural = _("accepted agreements")

    def __str__(self) -> str:
        return f"{self.application_id} v{self.agreement.version}"


class UsageReport(models.Model):
    """A data user's report on how conditionally open data was used (使用情况报告)."""

    application = models.ForeignKey(DataApplication, models.CASCADE, related_name="usage_reports")
    period = models.CharField(_("period"), max_length=40)
    text = models.TextField(_("report"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("usage report")
        verbose_name_plural = _("usage reports")

    def __str__(self) -> str:
        return f"report {self.pk}"

    def audit_label(self) -> str:
        return f"usage report {self.pk} ({self.period})"


from zhengtong.sharing.workflows import GRANT_FLOW, OBJECTION_FLOW, REQUEST_FLOW  # noqa: E402

SharingRequest.workflow = REQUEST_FLOW
Grant.workflow = GRANT_FLOW
Objection.workflow = OBJECTION_FLOW
