"""Models of counter intake and 帮办代办 (item 1), 告知承诺制 (item 2) and 跨省通办 (item 6).

Imported by ``models.py`` (Django discovers them there); the workflows of the check task and the
transfer are in ``workflows_onestop.py``. Other apps' models are named by label (only ``*.models``
modules may import them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel


class IdDocument(models.TextChoices):
    """Identity documents a counter checks (有效身份证件)."""

    RESIDENT_ID = "resident_id_card", _("resident identity card (居民身份证)")
    TEMPORARY_ID = "temporary_id_card", _("temporary resident identity card (临时居民身份证)")
    HK_MACAO = (
        "hk_macao_permit",
        _("Mainland travel permit for Hong Kong and Macao residents (港澳居民来往内地通行证)"),
    )
    TAIWAN = "taiwan_permit", _("Mainland travel permit for Taiwan residents (台湾居民来往大陆通行证)")
    FOREIGN_PR = "foreign_permanent_id", _("foreigner's permanent residence ID card (外国人永久居留身份证)")


class IdCheckMethod(models.TextChoices):
    READER = "reader", _("card reader (读卡器)")
    FACE = "face", _("card reader and face comparison (人证比对)")
    VISUAL = "visual", _("visual check by staff (人工核验)")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("spouse (配偶)")
    PARENT = "parent", _("parent (父母)")
    CHILD = "child", _("child (子女)")
    SIBLING = "sibling", _("sibling (兄弟姐妹)")
    GRANDPARENT = "grandparent", _("grandparent (祖父母、外祖父母)")
    GRANDCHILD = "grandchild", _("grandchild (孙子女、外孙子女)")


class ProxyConsent(models.Model):
    """A principal's consent that a family member files applications for them (代办授权): which
    items (``scope``: item codes, or ["*"] for all), until when; revocable at any time."""

    principal = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    proxy = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    scope = models.JSONField(_("scope (item codes)"), default=list)
    valid_until = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("consent revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["proxy", "principal"], name="proxyconsent_pair")]
        verbose_name = _("proxy consent (代办授权)")
        verbose_name_plural = _("proxy consents (代办授权)")

    def __str__(self) -> str:
        return f"{self.principal_id}->{self.proxy_id} {self.relation}"

    def is_live(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.valid_until > at

    def covers(self, item_code: str) -> bool:
        return "*" in self.scope or item_code in self.scope


class CounterIntake(models.Model):
    """How a counter case was filed: who checked which identity document how and when, who stood
    at the counter (the applicant or a proxy with consent), and the applicant's confirmation
    (on screen, or a drawn signature) with the hash of exactly what was confirmed."""

    case = models.OneToOneField("services.Case", models.PROTECT, related_name="intake")
    counter_unit = models.ForeignKey(
        "accounts.OrgUnit", models.PROTECT, related_name="+", verbose_name=_("counter")
    )
    counter_path = models.CharField(max_length=128, db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    id_document = models.CharField(_("identity document"), max_length=24, choices=IdDocument.choices)
    id_number_masked = models.CharField(_("identity document number"), max_length=24)
    id_method = models.CharField(_("check method"), max_length=8, choices=IdCheckMethod.choices)
    id_checked_at = models.DateTimeField(_("identity checked at"))
    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    proxy_consent = models.ForeignKey(ProxyConsent, models.PROTECT, null=True, blank=True, related_name="+")
    confirmation = models.CharField(
        _("confirmation"),
        max_length=10,
        choices=[("screen", _("confirmed on screen")), ("signature", _("signed on the pad"))],
    )
    confirmed_sha256 = models.CharField(_("hash of what was confirmed"), max_length=64)
    signature_ref = models.CharField(max_length=200, blank=True)
    signature_sha256 = models.CharField(max_length=64, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("counter intake")
        verbose_name_plural = _("counter intakes")

    def __str__(self) -> str:
        return f"intake {self.case_id}"


class CommitmentText(models.Model):
    """A 承诺书 text (国办发〔2020〕42号), versioned: what the applicant promises and the liability
    for a false commitment. A material of an item version names the text's ``code``
    (``"commitment": "<code>"``); a case signs the newest version."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    promise = models.TextField(_("what is promised"))
    liability = models.TextField(_("liability for a false commitment"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="commitment_text_version")]
        verbose_name = _("commitment text (承诺书)")
        verbose_name_plural = _("commitment texts (承诺书)")

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Commitment(models.Model):
    """A signed commitment on a case: it replaces one material; verified later (核查)."""

    class State(models.TextChoices):
        PENDING = "pending", _("to be verified")
        KEPT = "kept", _("verified: true")
        FALSE = "false", _("verified: false")

    case = models.ForeignKey("services.Case", models.PROTECT, related_name="commitments")
    material_code = models.CharField(max_length=40)
    material_name = models.CharField(max_length=200)
    text = models.ForeignKey(CommitmentText, models.PROTECT, related_name="+")
    text_sha256 = models.CharField(max_length=64)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)

    class Meta:
        verbose_name = _("signed commitment")
        verbose_name_plural = _("signed commitments")
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "material_code"], name="one_commitment_per_material")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.material_code}"


class CommitmentCheck(WorkflowModel, SlaMixin):
    """The 核查 task of a case decided on commitments: opened at the decision, with a time limit
    (``SERVICES_COMMITMENT_CHECK_DAYS`` working days, core.sla); a reviewer records the finding."""

    case = models.OneToOneField("services.Case", models.PROTECT, related_name="commitment_check")
    org_unit = models.ForeignKey("accounts.OrgUnit", models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=128, db_index=True)
    department = models.ForeignKey("accounts.Department", models.PROTECT, related_name="+")
    finding = models.TextField(_("finding"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    # Stamped by the SLA scan when the time limit passes (督办: ``commitments.on_check_overdue``).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("commitment check (核查)")
        verbose_name_plural = _("commitment checks (核查)")

    def __str__(self) -> str:
        return f"check {self.case_id}"


class Tongban(models.TextChoices):
    """Where an item may be received (通办范围)."""

    LOCAL = "", _("at the competent unit only")
    CITY = "city", _("anywhere in the city (全市通办)")
    PROVINCE = "province", _("anywhere in the province (全省通办)")
    CROSS_PROVINCE = "cross_province", _("across provinces (跨省通办)")


class Delivery(models.TextChoices):
    POST = "post", _("by post (邮寄)")
    COUNTER = "counter", _("at the receiving counter (窗口领取)")


class Transfer(WorkflowModel):
    """收受分离: an application received at another region's counter and transferred, under a
    tracking number, to the competent unit (whose case it is); the result goes back by post or
    to the receiving counter. Both counters see its state."""

    number = models.CharField(_("tracking number"), max_length=32, unique=True)
    case = models.OneToOneField("services.Case", models.PROTECT, related_name="transfer")
    receiving_unit = models.ForeignKey(
        "accounts.OrgUnit", models.PROTECT, related_name="+", verbose_name=_("receiving counter")
    )
    receiving_path = models.CharField(max_length=128, db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    competent_path = models.CharField(max_length=128, db_index=True)
    delivery = models.CharField(_("result delivery"), max_length=8, choices=Delivery.choices)
    postal_address = models.CharField(_("postal address"), max_length=300, blank=True)
    post_tracking = models.CharField(_("postal tracking number"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("transfer (跨域通办)")
        verbose_name_plural = _("transfers (跨域通办)")

    def __str__(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return f"{self.number} {self.case.number}"


def _one(case, name: str):
    try:
        return getattr(case, name)
    except models.ObjectDoesNotExist:
        return None


def intake_or_none(case) -> CounterIntake | None:
    return _one(case, "intake")


def transfer_or_none(case) -> Transfer | None:
    return _one(case, "transfer")


from zhengtong.services.workflows_onestop import CHECK_FLOW, TRANSFER_FLOW  # noqa: E402

CommitmentCheck.workflow = CHECK_FLOW
Transfer.workflow = TRANSFER_FLOW
