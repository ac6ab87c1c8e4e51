"""Codes (一码), risk map (一图) and indices (一指数): data model.

Persons and enterprises are *subjects*; every code is an ``Issuance`` for one subject and one
``Purpose`` and carries only a per-purpose pseudonym. Verifiers keep ``VerificationCount`` rows
(aggregates), never scans.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import OrgUnit
from zhengtong.codes.workflows import APPEAL_FLOW
from zhengtong.core.workflow import WorkflowModel


class Colour(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


COLOUR_RANK = {"green": 0, "yellow": 1, "red": 2}


class Purpose(models.Model):
    """What codes may be used for (purpose limitation). A sunset stops issuance for good."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    subject_kind = models.CharField(_("subject kind"), max_length=12, default="person")
    is_active = models.BooleanField(_("issuing"), default=True)
    sunset_at = models.DateTimeField(_("sunset at"), null=True, blank=True)
    delete_data_after = models.DateTimeField(_("delete data after"), null=True, blank=True)
    data_deleted_at = models.DateTimeField(_("data deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")

    def __str__(self) -> str:
        return self.name


class RuleSet(models.Model):
    """A published, versioned set of CertLogic rules for one purpose, valid for a period.

    ``rules`` is a list of ``{"id", "colour", "logic", "description", "description_en",
    "advice", "advice_en"}``: each rule's logic must evaluate truthy for the subject to pass it;
    failing it (false, or any evaluation error: fail safe) gives at least its colour.
    """

    purpose = models.ForeignKey(Purpose, models.PROTECT, related_name="rule_sets", verbose_name=_("purpose"))
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    rules = models.JSONField(_("rules"), default=list)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="codes_ruleset_unique_version")
        ]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")

    def __str__(self) -> str:
        return f"{self.purpose.code} v{self.version}"


class Subject(models.Model):
    """A person or an enterprise that codes can be issued for."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        ENTERPRISE = "enterprise", _("enterprise")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    person = models.OneToOneField(
        "registry.Person", models.CASCADE, null=True, blank=True, related_name="code_subject"
    )
    legal_entity = models.OneToOneField(
        "registry.LegalEntity", models.CASCADE, null=True, blank=True, related_name="code_subject"
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    county_code = models.CharField(_("county"), max_length=6, db_index=True)
    baseline_daily_kwh = models.FloatField(_("baseline daily power use (kWh)"), null=True, blank=True)
    data_changed_at = models.DateTimeField(_("data changed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class SubjectRecord(models.Model):
    """Purpose-specific data about a subject, entered by staff or imported (always audited)."""

    class Kind(models.TextChoices):
        TEST_RESULT = "test_result", _("test result")
        TRIP = "trip", _("declared trip")
        QUARANTINE = "quarantine", _("quarantine or isolation")
        ARRIVAL = "arrival", _("arrival")
        RESUMPTION = "resumption", _("resumption declaration")

    subject = models.ForeignKey(Subject, models.CASCADE, related_name="records")
    purpose = models.ForeignKey(Purpose, models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    until = models.DateField(_("until"), null=True, blank=True)
    # test_result: {"result": "positive"|"negative"}; arrival/trip: {"region": "330782"};
    # quarantine: {"kind": "quarantine"|"isolation"}; resumption: {"resumed": true, "workers": n}
    data = models.JSONField(_("data"), default=dict)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["subject", "purpose", "kind"], name="codes_record_subject")]
        verbose_name = _("subject record")
        verbose_name_plural = _("subject records")

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_on}"


class PowerUse(models.Model):
    """One enterprise's electricity use on one day."""

    subject = models.ForeignKey(Subject, models.CASCADE, related_name="power_use")
    day = models.DateField(_("day"))
    kwh = models.FloatField(_("kWh"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "day"], name="codes_power_unique_day")]
        verbose_name = _("power use")
        verbose_name_plural = _("power use")

    def __str__(self) -> str:
        return f"{self.day} {self.kwh}"


class SigningKey(models.Model):
    """One of this installation's ES256 signing keys (private part encrypted at rest)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired (verifies until its codes expire)")
        REVOKED = "revoked", _("revoked")

    class Role(models.TextChoices):
        CODE = "code", _("signs codes")
        ANCHOR = "anchor", _("signs the trust list")

    kid = models.CharField(_("key id"), max_length=16, unique=True)  # hex of 8 bytes
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.CODE)
    region_code = models.CharField(_("region code"), max_length=12)
    public_der = models.BinaryField(_("public key (DER)"))
    private_encrypted = models.BinaryField(_("private key (encrypted PEM)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return f"{self.region_code}:{self.kid}"


class TrustAnchor(models.Model):
    """A region's trust-list signing key that this installation accepts (configured by staff)."""

    region_code = models.CharField(_("region code"), max_length=12)
    name = models.CharField(_("name"), max_length=100)
    public_der = models.BinaryField(_("public key (DER)"))
    anchor_kid = models.CharField(_("key id"), max_length=16, unique=True)
    is_active = models.BooleanField(_("trusted"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code"]
        verbose_name = _("trust anchor")
        verbose_name_plural = _("trust anchors")

    def __str__(self) -> str:
        return f"{self.region_code} {self.anchor_kid}"


class TrustList(models.Model):
    """The latest verified trust list imported from another region."""

    region_code = models.CharField(_("region code"), max_length=12, unique=True)
    region_name = models.CharField(_("region name"), max_length=100, blank=True)
    anchor = models.ForeignKey(TrustAnchor, models.PROTECT, related_name="lists")
    sequence = models.PositiveIntegerField(_("sequence"))
    issued_at = models.DateTimeField(_("issued at"))
    imported_at = models.DateTimeField(_("imported at"))
    document = models.JSONField(_("document"), default=dict)

    class Meta:
        ordering = ["region_code"]
        verbose_name = _("trust list")
        verbose_name_plural = _("trust lists")

    def __str__(self) -> str:
        return f"{self.region_code} #{self.sequence}"


class TrustedKey(models.Model):
    """A public key of another region, from an imported trust list."""

    trust_list = models.ForeignKey(TrustList, models.CASCADE, related_name="keys")
    kid = models.CharField(_("key id"), max_length=16, db_index=True)
    region_code = models.CharField(_("region code"), max_length=12)
    public_der = models.BinaryField(_("public key (DER)"))
    status = models.CharField(_("status"), max_length=10)

    class Meta:
        verbose_name = _("trusted key")
        verbose_name_plural = _("trusted keys")

    def __str__(self) -> str:
        return f"{self.region_code}:{self.kid}"


class ColourOverride(models.Model):
    """A manual colour set by authorised staff: reason required, signed, audited, appealable."""

    subject = models.ForeignKey(Subject, models.CASCADE, related_name="overrides")
    purpose = models.ForeignKey(Purpose, models.PROTECT, related_name="+")
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reason = models.TextField(_("reason"))
    valid_until = models.DateTimeField(_("valid until"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    kid = models.CharField(_("key id"), max_length=16)
    signature = models.CharField(_("signature"), max_length=128)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_reason = models.CharField(_("reason lifted"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("colour override")
        verbose_name_plural = _("colour overrides")

    def __str__(self) -> str:
        return f"{self.colour} #{self.pk}"


class Issuance(models.Model):
    """One issued code (kept only for the retention period)."""

    subject = models.ForeignKey(Subject, models.CASCADE, related_name="issuances")
    purpose = models.ForeignKey(Purpose, models.PROTECT, related_name="+")
    pseudonym = models.CharField(_("pseudonymous subject id"), max_length=32, db_index=True)
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    rule_set = models.ForeignKey(RuleSet, models.PROTECT, null=True, blank=True, related_name="+")
    override = models.ForeignKey(ColourOverride, models.SET_NULL, null=True, blank=True, related_name="+")
    kid = models.CharField(_("key id"), max_length=16)
    code = models.TextField(_("code text"))
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["subject", "purpose", "is_current"], name="codes_issuance_current")]
        verbose_name = _("issuance")
        verbose_name_plural = _("issuances")

    def __str__(self) -> str:
        return f"{self.purpose_id}:{self.colour} #{self.pk}"


class Appeal(WorkflowModel):
    """An appeal against a colour or a correction request (纠错) by the subject."""

    class Kind(models.TextChoices):
        APPEAL = "appeal", _("appeal against the colour")
        CORRECTION = "correction", _("correction of data (纠错)")

    subject = models.ForeignKey(Subject, models.CASCADE, related_name="appeals")
    purpose = models.ForeignKey(Purpose, models.PROTECT, related_name="+")
    issuance = models.ForeignKey(Issuance, models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("what is wrong"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    response = models.TextField(_("response"), blank=True)

    @property
    def workflow(self):
        return APPEAL_FLOW

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class RiskIndicator(models.Model):
    """Daily indicator data of a county (the input of the risk levels)."""

    county_code = models.CharField(_("county"), max_length=6)
    day = models.DateField(_("day"))
    new_cases = models.PositiveIntegerField(_("new cases"), default=0)
    local_cases = models.PositiveIntegerField(_("local cases"), default=0)
    clusters = models.PositiveIntegerField(_("new clusters"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "day"], name="codes_indicator_unique")]
        verbose_name = _("risk indicator")
        verbose_name_plural = _("risk indicators")

    def __str__(self) -> str:
        return f"{self.county_code} {self.day}"


class RiskLevel(models.IntegerChoices):
    LOW = 1, _("low")
    RELATIVELY_LOW = 2, _("relatively low")
    MEDIUM = 3, _("medium")
    RELATIVELY_HIGH = 4, _("relatively high")
    HIGH = 5, _("high")


RISK_COLOURS = {1: "green", 2: "blue", 3: "yellow", 4: "orange", 5: "red"}
RISK_HEX = {1: "#1a9641", 2: "#2c7fb8", 3: "#f6d32d", 4: "#f28e2b", 5: "#d7191c"}


class RegionRisk(models.Model):
    """The computed risk level of a county on a day (五色图)."""

    county_code = models.CharField(_("county"), max_length=6)
    day = models.DateField(_("day"), db_index=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=RiskLevel.choices)
    indicators = models.JSONField(_("indicators"), default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "county_code"]
        constraints = [models.UniqueConstraint(fields=["county_code", "day"], name="codes_risk_unique")]
        verbose_name = _("region risk")
        verbose_name_plural = _("region risks")

    def __str__(self) -> str:
        return f"{self.county_code} {self.day}: {self.level}"


class IndexValue(models.Model):
    """A daily index value of a county (复工率, 电力指数)."""

    class Kind(models.TextChoices):
        RESUMPTION_RATE = "resumption_rate", _("enterprise resumption rate")
        POWER_INDEX = "power_index", _("power-use index")

    county_code = models.CharField(_("county"), max_length=6)
    day = models.DateField(_("day"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.FloatField(_("value"))
    numerator = models.FloatField(default=0)
    denominator = models.FloatField(default=0)

    class Meta:
        ordering = ["day", "county_code", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "day", "kind"], name="codes_index_unique")
        ]
        verbose_name = _("index value")
        verbose_name_plural = _("index values")

    def __str__(self) -> str:
        return f"{self.county_code} {self.day} {self.kind}"


class VerificationCount(models.Model):
    """How many codes were verified, by day, purpose, issuing region and result. Nothing else."""

    day = models.DateField(_("day"))
    purpose = models.CharField(_("purpose"), max_length=40)
    region_code = models.CharField(_("issuing region"), max_length=12)
    result = models.CharField(_("result"), max_length=20)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "purpose", "region_code", "result"], name="codes_verification_count_unique"
            )
        ]
        verbose_name = _("verification count")
        verbose_name_plural = _("verification counts")

    def __str__(self) -> str:
        return f"{self.day} {self.result}: {self.count}"
