"""Data sandbox (数据沙箱): projects approved per the Five Safes, their datasets and synthetic
workspaces, jobs run on the raw data, the checked outputs and their human reviews, and the ledger
of released cells the differencing guard compares new outputs with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.catalog.models import DataResource, ResourceVersion
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel


class Project(WorkflowModel, SlaMixin):
    """A sandbox project: who (safe people), why (safe project), which data (safe data), when, and
    the output threshold (safe outputs). ``org_unit``/``department`` are the data owner's: the
    owner department and the data security officer of that unit approve it."""

    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), max_length=4000)
    public_benefit = models.TextField(_("public benefit"), max_length=4000)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    people_trained = models.BooleanField(_("applicant completed data-protection training"), default=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    applicant_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+"
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="+", verbose_name=_("data owner department")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    min_cell = models.PositiveIntegerField(_("smallest cell (persons or entities)"))
    owner_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    security_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    workspace_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sandbox project")
        verbose_name_plural = _("sandbox projects")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"#{self.pk} {self.title}"


class ProjectDataset(models.Model):
    """A dataset of a project, pinned to the version approved, with its synthetic twin (a table of
    the datastore's version store that only the workspace reads)."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="datasets")
    resource = models.ForeignKey(DataResource, models.PROTECT, related_name="+")
    version = models.ForeignKey(ResourceVersion, models.PROTECT, related_name="+")
    synthetic_key = models.CharField(max_length=64, blank=True)
    synthetic_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("project dataset")
        verbose_name_plural = _("project datasets")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "resource"], name="sandbox_dataset_once")]

    def __str__(self) -> str:
        return self.resource.title


class Job(models.Model):
    """One submitted version of the project's code, run once on the raw data. Immutable but for
    its status, its output (until released or the workspace is deleted) and its check results."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("stopped or failed")
        CHECKED = "checked", _("awaiting output check")
        RELEASED = "released", _("released")
        WITHHELD = "withheld", _("withheld")

    class Rule(models.TextChoices):
        FORBIDDEN_SQL = (
            "forbidden_sql",
            _("reads files, attaches databases, loads extensions or reads other tables"),
        )
        EXPORTS_ROWS = "exports_rows", _("would export records instead of aggregates")
        SINGLES_OUT = "singles_out", _("singles out a person or an entity")
        TIME_LIMIT = "time_limit", _("exceeded its time limit")
        MEMORY_LIMIT = "memory_limit", _("exceeded its memory limit")
        FAILED = "failed", _("failed")

    project = models.ForeignKey(Project, models.CASCADE, related_name="jobs")
    dataset = models.ForeignKey(ProjectDataset, models.PROTECT, related_name="jobs")
    number = models.PositiveIntegerField(_("version"))
    sql = models.TextField(_("SQL"))
    sql_sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    # Why a job was refused or stopped, in words the applicant reads; ``rule`` is its code.
    rule = models.CharField(max_length=40, choices=Rule.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # {"columns": [...], "rows": [[...]], "flags": [[None | rule, ...]]} after disclosure control.
    output = models.JSONField(null=True, blank=True)
    output_sha256 = models.CharField(max_length=64, blank=True)
    checks = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("sandbox job")
        verbose_name_plural = _("sandbox jobs")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="sandbox_job_number")]
        indexes = [models.Index(fields=["status", "id"], name="sandbox_job_status")]

    def __str__(self) -> str:
        return f"{self.project_id}/v{self.number}"

    def audit_label(self) -> str:
        return f"#{self.project_id} v{self.number}"


class OutputReview(models.Model):
    """The data officer's human output check of one job (release or withhold, with a note)."""

    class Decision(models.TextChoices):
        RELEASE = "release", _("release")
        WITHHOLD = "withhold", _("withhold")

    job = models.ForeignKey(Job, models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("output review")
        verbose_name_plural = _("output reviews")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.job_id} {self.decision}"


class CellRecord(models.Model):
    """A cell a project has already been shown: its key (dataset, grouping and equality filters,
    hashed) and how many subjects it covered. The differencing guard compares new cells with it."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    job = models.ForeignKey(Job, models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    subjects = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("output cell record")
        verbose_name_plural = _("output cell records")
        indexes = [models.Index(fields=["project", "key"], name="sandbox_cell_key")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.key[:12]} {self.subjects}"


from zhengtong.sandbox.workflows import PROJECT_FLOW  # noqa: E402 - the workflow needs the model defined

Project.workflow = PROJECT_FLOW
