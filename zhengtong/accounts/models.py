from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.kinds import (  # noqa: F401 - re-exported for migrations and older imports
    CODE_LENGTH,
    LEVEL_ORDER,
    SECRET_PREFIX,
    CredentialKind,
    OrgLevel,
    UserKind,
)


class OrgUnit(models.Model):
    """An administrative unit (浙政钉 "六级"), keyed by its region code.

    ``path`` is the materialized path of codes ("330000/330100/330106/"): a subtree is the range
    [path, path with its last "/" replaced by "0"), which a plain B-tree index serves on SQLite and
    PostgreSQL alike (see accounts.permissions.subtree_q).
    """

    code = models.CharField(_("region code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=OrgLevel.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=128, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="orgunit_path_prefix", opclasses=["varchar_pattern_ops"])
        ]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def audit_label(self) -> str:
        return f"{self.name} {self.code}"

    @property
    def org_unit(self) -> OrgUnit:
        return self


class Department(models.Model):
    """A government body inside an org unit (e.g. 西湖区市场监管局)."""

    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="departments", verbose_name=_("org unit")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["org_unit__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "code"], name="department_code_unique_in_unit")
        ]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    kind = models.CharField(_("kind"), max_length=12, choices=UserKind.choices, default=UserKind.CITIZEN)
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    # Staff and grid workers belong to an org unit (and usually a department).
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, verbose_name=_("org unit"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, verbose_name=_("department")
    )
    # Real-name identity (实名): set only by registry.services.citizen_verify_real_name.
    resident_id = models.CharField(_("resident ID number"), max_length=18, null=True, blank=True, unique=True)
    is_real_name = models.BooleanField(_("real-name verified"), default=False)
    real_name_verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # Enterprise agents act for one legal entity, identified by its USCC.
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_enabled = models.BooleanField(_("two-step verification"), default=False)
    # The time step (Unix time // 30) of the last code accepted: a code of that step or an earlier
    # one is refused (replay). On the row, not in the cache: the cache may be per node or evict.
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    elder_mode = models.BooleanField(_("elder-friendly mode"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind in {UserKind.STAFF, UserKind.GRID_WORKER, UserKind.ADMIN}


class RoleGrant(models.Model):
    """A role granted at an org unit (optionally limited to one department); valid in its subtree."""

    user = models.ForeignKey(User, models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=40)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="grants", verbose_name=_("org unit"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="grants", verbose_name=_("department")
    )
    granted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["org_unit__path", "role"]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.org_unit.code}"


class Credential(models.Model):
    """A secret an API client presents: a personal API token, a data API key or an Open311 key.

    Only a SHA-256 digest of the secret is stored (it is shown once). ``prefix`` is the short
    public part of the secret after its kind's text, unique per kind, used to find the row.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=CredentialKind.choices)
    owner = models.ForeignKey(
        User, models.CASCADE, null=True, blank=True, related_name="credentials", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("org unit")
    )
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), null=True, blank=True)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "prefix"], name="credential_prefix_unique")]
        indexes = [models.Index(fields=["owner", "kind"], name="credential_owner_kind")]
        verbose_name = _("API credential")
        verbose_name_plural = _("API credentials")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def audit_label(self) -> str:
        return str(self)

    @property
    def active(self) -> bool:
        return self.revoked_at is None
