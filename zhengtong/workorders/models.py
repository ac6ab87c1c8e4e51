"""12345-style work orders (工单): consultations, help requests, suggestions, complaints, reports,
and rectifications opened by other modules (e.g. a bad 好差评 rating)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.masking import mask_name, mask_phone
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("consultation (咨询)")
    HELP = "help", _("request for help (求助)")
    SUGGESTION = "suggestion", _("suggestion (建议)")
    COMPLAINT = "complaint", _("complaint (投诉)")
    REPORT = "report", _("report (举报)")
    RECTIFICATION = "rectification", _("rectification (整改)")


CITIZEN_KINDS = ("consultation", "help", "suggestion", "complaint", "report")


class Channel(models.TextChoices):
    """How the work order came in: online by the requester, or a call logged by a 12345 operator."""

    ONLINE = "online", _("online")
    HOTLINE = "hotline", _("12345 hotline")


class Category(models.Model):
    """A 12345 category in two levels, after GB/T 39666-2020 (政府热线服务分类与代码): a first
    level (大类, two-digit code, ``parent`` empty) and a second level (四位 code whose first two
    digits are its parent's). Work orders carry a second-level code; statistics group by it or by
    its first two digits. Seeded by migration 0005 and ``categories.categories_ensure``; an
    inactive category is refused for new work orders but stays valid on old ones."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("first level")
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("work-order category")
        verbose_name_plural = _("work-order categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def label(self) -> str:
        """The name in the active language (zh-Hans by default, English when selected)."""
        return self.name_en if (get_language() or "").startswith("en") else self.name


class WorkOrder(WorkflowModel, SlaMixin):
    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    category = models.CharField(_("category"), max_length=32, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    # Where the matter is (the requester's region); routing looks here.
    region = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("region"))
    # Who handles it: the department's unit, or the region's township/county office.
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("handling unit"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("requester"),
    )
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # A caller known only by phone (12345): no account; name and number are personal data (L3),
    # shown masked on every outward path.
    caller_name = models.CharField(_("caller's name"), max_length=50, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE, db_index=True
    )
    # The knowledge-base entry the operator answered from ("knowledge:<id>", workspace's one
    # knowledge base), and whether the call was answered directly from it (即时办结).
    knowledge_ref = models.CharField(_("knowledge-base entry"), max_length=40, blank=True)
    answered_directly = models.BooleanField(_("answered directly from the knowledge base"), default=False)
    source_ref = models.CharField(_("source"), max_length=64, blank=True, db_index=True)
    due_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    callback_note = models.TextField(_("call-back note"), blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "state", "created_at"], name="wo_unit_state"),
            models.Index(fields=["requester", "created_at"], name="wo_requester"),
            # The cockpit's materialization: one day of closures or replies.
            models.Index(fields=["closed_at"], name="wo_closed"),
            models.Index(fields=["replied_at"], name="wo_replied"),
        ]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def audit_label(self) -> str:
        return self.number

    @property
    def category_label(self) -> str:
        # Lazy: the label table lives in selectors, which imports this module.
        from zhengtong.workorders.selectors import category_label

        return category_label(self.category)

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def caller_name_masked(self) -> str:
        return mask_name(self.caller_name) if self.caller_name else ""


class RoutingDomain(models.TextChoices):
    """Whose category list a routing rule's ``category`` comes from: work orders (``Category``)
    or grid incidents (``grid.Category.code``)."""

    WORK_ORDERS = "workorders", _("work orders")
    GRID = "grid", _("grid incidents")


# Who may set and delete the rules of each domain (at the rule's region).
ROUTING_PERMISSIONS = {
    RoutingDomain.WORK_ORDERS: "workorders.manage_routing",
    RoutingDomain.GRID: "grid.manage",
}


class RoutingRule(models.Model):
    """Category + region → handling body (a department, or a unit such as a township), the one
    routing table of work orders and grid incidents (``domain`` says whose categories). The most
    specific rule wins: a rule for the category over one for any category (``category`` ""),
    then the deepest region; ``services.route_for`` resolves it."""

    domain = models.CharField(
        _("for"), max_length=12, choices=RoutingDomain.choices, default=RoutingDomain.WORK_ORDERS
    )
    category = models.CharField(_("category"), max_length=32, blank=True)
    region = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("region"))
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    target_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("handling unit")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "category", "region"], name="routing_rule_unique"),
            models.CheckConstraint(
                condition=models.Q(department__isnull=True) ^ models.Q(target_unit__isnull=True),
                name="routing_rule_one_target",
            ),
        ]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.region.code} → {self.department or self.target_unit}"


from zhengtong.workorders.workflows import WORK_ORDER_FLOW  # noqa: E402

WorkOrder.workflow = WORK_ORDER_FLOW
