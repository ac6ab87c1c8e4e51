"""Grid governance (基层治理四平台): grid cells, grid workers, incidents, patrols, Open311 keys,
report templates (一表通) and the daily incident statistics."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.sla import HourSlaMixin, SlaState
from zhengtong.core.workflow import WorkflowModel


class GridCell(models.Model):
    """A unit grid (单元网格, GB/T 30428.1): a polygon under a village or community.

    The polygon is GeoJSON text (shapely reads it); the bounding box columns let the database
    prefilter without a spatial extension. ``org_unit`` is the grid-level org unit, so the
    permission scope of a grid worker is that unit's subtree.
    """

    code = models.CharField(_("grid code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.OneToOneField(
        OrgUnit, models.PROTECT, related_name="grid_cell", verbose_name=_("org unit")
    )
    geometry = models.TextField(_("polygon (GeoJSON)"))
    minx = models.FloatField()
    miny = models.FloatField()
    maxx = models.FloatField()
    maxy = models.FloatField()
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["minx", "maxx", "miny", "maxy"], name="gridcell_bbox")]
        verbose_name = _("grid cell")
        verbose_name_plural = _("grid cells")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GridAssignment(models.Model):
    """A grid worker responsible for a cell (a worker may hold several; a cell may have several)."""

    cell = models.ForeignKey(
        GridCell, models.CASCADE, related_name="assignments", verbose_name=_("grid cell")
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="grid_assignments",
        verbose_name=_("grid worker"),
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "worker"], name="grid_assignment_unique")]
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.cell.code}"


class Category(models.Model):
    """An incident category in the style of GB/T 30428.2: components (部件) and events (事件),
    each with a time limit in working days or in hours."""

    class Kind(models.TextChoices):
        COMPONENT = "component", _("component (部件)")
        EVENT = "event", _("event (事件)")

    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    group = models.CharField(_("group"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    sla_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"), null=True, blank=True)
    sla_hours = models.PositiveSmallIntegerField(_("time limit (hours)"), null=True, blank=True)
    # Default handling department kind (Department.kind) when no routing rule matches.
    department_kind = models.CharField(_("default department kind"), max_length=40, blank=True)
    # Open311 attributes: [{"code", "datatype", "description", "required", "values": [{"key","name"}]}]
    attributes = models.JSONField(_("attributes"), default=list, blank=True)
    # Public categories are offered over Open311 and listed publicly; private ones (disputes,
    # for instance) are reported by grid workers and seen by staff only.
    is_public = models.BooleanField(_("public"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Incident(WorkflowModel, HourSlaMixin):
    """An event (事件) reported in the field, by a citizen, over Open311, or imported."""

    class Source(models.TextChoices):
        GRID_WORKER = "grid_worker", _("grid worker")
        CITIZEN = "citizen", _("citizen")
        OPEN311 = "open311", _("Open311")
        COMPLAINT = "complaint", _("complaint")
        IMPORT = "import", _("import")

    category = models.ForeignKey(
        Category, models.PROTECT, related_name="incidents", verbose_name=_("category"), db_index=False
    )  # incident_cat_reported leads with it
    # The grid-level org unit the location falls in: the permission scope of the incident.
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("grid"))
    cell = models.ForeignKey(GridCell, models.PROTECT, null=True, blank=True, verbose_name=_("grid cell"))
    township = models.ForeignKey(  # incident_township_* lead with it
        OrgUnit, models.PROTECT, related_name="+", verbose_name=_("township"), db_index=False
    )
    county = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("county"))
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=4000)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # Reporter: private; never on a public path.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    reporter_email = models.CharField(_("reporter's email"), max_length=200, blank=True)
    # Open311: the reporter's photo link and the client's account id, kept as sent.
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    account_id = models.CharField(_("client account id"), max_length=100, blank=True)
    # The handling body: a department (its staff dispose) or a township.
    # Not called "department": the core permission check would then confine department-limited
    # grants of command staff to it; grid.selectors decides who handles what.
    handling_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    handling_unit = models.ForeignKey(
        OrgUnit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("handling unit")
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    merged_into = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="merged")
    token = models.CharField(max_length=32, unique=True)
    reported_at = models.DateTimeField(_("reported"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    disposed_at = models.DateTimeField(_("disposed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    status_notes = models.CharField(_("status notes"), max_length=300, blank=True)
    # The 12345 work order (its number) a citizen's complaint came in as: answered when this closes.
    work_order = models.CharField(_("work order"), max_length=20, blank=True, db_index=True)

    # Every report writes every index: the single-column indexes the mixins and foreign keys
    # would add for these are covered by the composite ones below, so they are left out.
    state = models.CharField(_("state"), max_length=32)
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, choices=SlaState.choices, default=SlaState.NONE
    )
    sla_deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["township", "state"], name="incident_township_state"),
            models.Index(fields=["category", "reported_at"], name="incident_cat_reported"),
            models.Index(fields=["township", "sla_state"], name="incident_township_sla"),
            # core.sla's scan: overdue by sla_due_at, due soon by sla_due_soon_at (both units).
            models.Index(fields=["sla_state", "sla_due_at"], name="incident_hour_scan"),
            models.Index(fields=["sla_state", "sla_due_soon_at"], name="incident_due_soon_scan"),
            # The cockpit's materialization: one day of closures or disposals, and the incidents
            # changed since its last run.
            models.Index(fields=["closed_at"], name="incident_closed"),
            models.Index(fields=["disposed_at"], name="incident_disposed"),
            models.Index(fields=["updated_at"], name="incident_updated"),
            # The entity an incident is about (the ``entity_uscc`` attribute): the supervision
            # master record (一户一档) reads by it. Partial: incidents without it pay nothing.
            models.Index(
                KT("attributes__entity_uscc"),
                name="incident_entity_uscc",
                condition=Q(attributes__has_key="entity_uscc"),
            ),
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return f"#{self.pk} {self.category.name}"

    def audit_label(self) -> str:
        return f"incident #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    @property
    def due_at(self):
        """When the time limit runs out, to the second (core.sla keeps it for hour and day clocks;
        the API and Open311 name it ``due_at``)."""
        return self.sla_due_at


CLOSED_STATES = ("closed", "rejected", "merged")


class IncidentPhoto(models.Model):
    """A photo of an incident: the original kept privately, a re-encoded copy without metadata
    (EXIF, GPS) for every public view."""

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="photos")
    # The photo's address in URLs (/grid/photos/<token>/): random, so photos cannot be enumerated.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original = models.CharField(max_length=200)
    public = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incident photo")
        verbose_name_plural = _("incident photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of incident {self.incident_id}"


class Patrol(models.Model):
    """A patrol check-in (巡查打卡) of a grid worker: where, when, in which cell."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    cell = models.ForeignKey(GridCell, models.PROTECT, null=True, blank=True, related_name="patrols")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    hazards_found = models.PositiveSmallIntegerField(_("hazards found"), default=0)
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("patrol check-in")
        verbose_name_plural = _("patrol check-ins")

    def __str__(self) -> str:
        return f"patrol {self.pk} at {self.at:%Y-%m-%d %H:%M}"


class ReportTemplate(models.Model):
    """A base-level report (基层报表) defined as queries over data the platform already holds.

    ``fields``: [{"key", "label", "source": "incidents"|"patrols"|"persons"|"legal_entities"|
    "grid_workers"|"cells"|"manual", "aggregate": "count"|"count_distinct"|"avg_hours"|"sum",
    "field": ..., "filters": {...}}]. Manual fields name a shared fact key, so a value entered once
    serves every template that asks for it.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    period = models.CharField(_("period"), max_length=10, default="month")
    level = models.CharField(_("produced for"), max_length=10, default="township")
    fields = models.JSONField(_("fields"), default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")

    def __str__(self) -> str:
        return self.name

    @property
    def data_field_count(self) -> int:
        return sum(1 for f in self.fields if f.get("source") != "manual")

    @property
    def manual_field_count(self) -> int:
        return sum(1 for f in self.fields if f.get("source") == "manual")


class ReportRun(models.Model):
    """One produced report: a template for an org unit and a period, with its values."""

    template = models.ForeignKey(ReportTemplate, models.CASCADE, related_name="runs")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM
    values = models.JSONField(default=dict)
    missing = models.JSONField(default=list)
    produced_at = models.DateTimeField(_("produced"))

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-period", "template__code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "org_unit", "period"], name="report_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.org_unit_id} {self.period}"


class ManualFact(models.Model):
    """A fact a person entered (a manual report field): entered once per unit and period, reused
    by every template that asks for the same key. ``period`` "" holds a standing value."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    key = models.CharField(max_length=60)
    period = models.CharField(max_length=7, blank=True)
    value = models.CharField(max_length=200)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("manually entered figure")
        verbose_name_plural = _("manually entered figures")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "key", "period"], name="manual_fact_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.period or '*'}"


class IncidentStat(models.Model):
    """Incident statistics by region, category and month (rebuilt daily; published as data)."""

    month = models.CharField(max_length=7)
    county_code = models.CharField(max_length=15)
    township_code = models.CharField(max_length=15)
    township_name = models.CharField(max_length=100)
    category_code = models.CharField(max_length=16)
    category_name = models.CharField(max_length=100)
    reported = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    avg_close_hours = models.FloatField(null=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("incident statistic")
        verbose_name_plural = _("incident statistics")
        ordering = ["month", "township_code", "category_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "township_code", "category_code"], name="incident_stat_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.township_code} {self.category_code}"


from zhengtong.grid.workflows import INCIDENT_FLOW  # noqa: E402

Incident.workflow = INCIDENT_FLOW
