from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.masking import SENSITIVE_FIELDS, mask_name, mask_resident_id
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel


class Person(models.Model):
    """The population registry (人口库): one row per resident ID number."""

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    resident_id = models.CharField(_("resident ID number"), max_length=18, unique=True)
    name = models.CharField(pgettext_lazy("of a person", "name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    # The org unit of the household registration: the scope that decides who may see the record.
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="persons", verbose_name=_("org unit"))
    is_alive = models.BooleanField(_("alive"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {mask_resident_id(self.resident_id)}"

    def audit_label(self) -> str:
        return str(self)


class LegalEntity(models.Model):
    """The legal-entity registry (法人库), keyed by unified social credit code."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active (存续)")
        REVOKED = "revoked", _("licence revoked (吊销)")
        DEREGISTERED = "deregistered", _("deregistered (注销)")

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    entity_type = models.CharField(_("type"), max_length=60)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    legal_rep_resident_id = models.CharField(_("representative's ID number"), max_length=18, blank=True)
    registered_address = models.CharField(_("registered address"), max_length=200)
    region_code = models.CharField(_("region code"), max_length=15)
    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="legal_entities", verbose_name=_("org unit")
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    registered_capital_fen = models.BigIntegerField(_("registered capital (fen)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class LicenceType(models.Model):
    """A kind of e-licence (电子证照目录): business licence, food operation permit, ..."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    holder_kind = models.CharField(
        _("holder"), max_length=10, choices=[("person", _("person")), ("entity", _("legal entity"))]
    )
    issuing_department_kind = models.CharField(_("issuing department kind"), max_length=40, blank=True)
    validity_years = models.PositiveSmallIntegerField(_("validity (years)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")

    def __str__(self) -> str:
        return self.name


class Licence(WorkflowModel):
    """An e-licence (电子证照): a certificate held as data. Lifecycle: valid ⇄ suspended → revoked."""

    licence_type = models.ForeignKey(LicenceType, models.PROTECT, verbose_name=_("licence type"))
    number = models.CharField(_("number"), max_length=64)
    holder_person = models.ForeignKey(
        Person,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="licences",
        verbose_name=_("holder (person)"),
    )
    holder_entity = models.ForeignKey(
        LegalEntity,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="licences",
        verbose_name=_("holder (entity)"),
    )
    issuing_department = models.ForeignKey(Department, models.PROTECT, verbose_name=_("issuing department"))
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="licences", verbose_name=_("org unit"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["licence_type", "number"], name="licence_number_unique_per_type"),
            models.CheckConstraint(
                condition=models.Q(holder_person__isnull=False) | models.Q(holder_entity__isnull=False),
                name="licence_has_holder",
            ),
        ]
        verbose_name = _("e-licence")
        verbose_name_plural = _("e-licences")

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"

    @property
    def department(self) -> Department:
        return self.issuing_department


class EntityAuthorization(models.Model):
    """An authorisation (授权) to act for a legal entity: granted by the entity's verified legal
    representative to a real-name account, for a scope of service items (empty: all), until an
    expiry, revocable. Live while not revoked and not expired."""

    entity = models.ForeignKey(
        LegalEntity, models.PROTECT, related_name="authorizations", verbose_name=_("legal entity")
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="entity_authorizations",
        verbose_name=_("authorised person"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    scope = models.JSONField(_("service items"), default=list, blank=True)
    valid_until = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["grantee", "entity"], name="entity_auth_grantee_entity")]
        verbose_name = _("entity authorisation")
        verbose_name_plural = _("entity authorisations")

    def __str__(self) -> str:
        return f"{self.entity.name} → {self.grantee}"

    def covers(self, item_code: str | None) -> bool:
        """Whether the scope covers ``item_code`` (None: any item; an empty scope: all items)."""
        return item_code is None or not self.scope or item_code in self.scope


# The fields of a record its holder may ask to correct (数据纠错).
CORRECTABLE_PERSON_FIELDS = ("name", "ethnicity", "phone", "address")
CORRECTABLE_ENTITY_FIELDS = ("name", "registered_address", "legal_representative")


class CorrectionRequest(WorkflowModel, SlaMixin):
    """A holder's request to correct their registry data (数据纠错), handled within a time limit."""

    person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("person")
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("legal entity"),
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    field = models.CharField(_("field"), max_length=40)
    current_value = models.CharField(_("current value"), max_length=200, blank=True)
    requested_value = models.CharField(_("requested value"), max_length=200)
    reason = models.TextField(_("reason"))
    resolution = models.TextField(_("resolution"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.field}"

    def _display(self, value: str) -> str:
        masker = SENSITIVE_FIELDS.get(self.field)
        return masker(value) if masker else value

    @property
    def current_value_display(self) -> str:
        """The value as it may be shown: identifiers and phone numbers masked."""
        return self._display(self.current_value)

    @property
    def requested_value_display(self) -> str:
        return self._display(self.requested_value)


from zhengtong.registry.workflows import CORRECTION_FLOW, LICENCE_FLOW  # noqa: E402

Licence.workflow = LICENCE_FLOW
CorrectionRequest.workflow = CORRECTION_FLOW
