"""The use side of open data (利用层): data requests (数据需求), feedback per dataset (error
reports 纠错, discussions, ratings), reuses (开放应用) and campaigns, follows, and each
dataset's quality and timeliness status.

Only signed-in users write here (nothing anonymous grows a table); what anyone may read is
public by design (a request only with its requester's consent; a reporter's name never).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.catalog.models import DataResource, UpdateFrequency
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel

# The catalogue's update frequencies, for the frequency a requester asks for.
Frequency = UpdateFrequency


class RequestFormat(models.TextChoices):
    TABLE = "table", _("table (CSV, Excel)")
    API = "api", _("API")
    GIS = "gis", _("map data (GeoJSON)")
    DOCUMENT = "document", _("document")
    ANY = "any", _("any")


class Outcome(models.TextChoices):
    """The four answers a department may give to a data request."""

    OPEN = "open", _("will be opened")
    SCHEDULED = "scheduled", _("scheduled for opening")
    REFUSED = "refused", _("refused")
    EXISTING = "existing", _("already available")


class DataRequest(WorkflowModel, SlaMixin):
    """A request for data (数据需求) addressed to a department, answered within a time limit."""

    title = models.CharField(_("what data"), max_length=200)
    description = models.TextField(_("description"))
    purpose = models.TextField(_("why"), blank=True)
    format = models.CharField(_("format"), max_length=12, choices=RequestFormat.choices, default="any")
    frequency = models.CharField(
        _("update frequency"), max_length=16, choices=UpdateFrequency.choices, default="irregular"
    )
    department = models.ForeignKey(
        Department, models.PROTECT, related_name="data_requests", verbose_name=_("department")
    )
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="data_requests")
    # The requester's consent to show the request (never their name) to everyone.
    public = models.BooleanField(_("public"), default=True)
    supporters = models.PositiveIntegerField(_("supporters"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_on_time = models.BooleanField(null=True)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    resource = models.ForeignKey(
        DataResource, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("dataset")
    )
    fulfilled_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["public", "state"], name="datause_req_public_state"),
            models.Index(fields=["-created_at", "-id"], name="datause_req_created"),
        ]
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"request {self.pk} {self.title[:60]}"


class RequestSupport(models.Model):
    """One signed-in user's support (+1) of a request: one row per user and request."""

    request = models.ForeignKey(DataRequest, models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("request support")
        verbose_name_plural = _("request supports")
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="datause_support_once")]

    def __str__(self) -> str:
        return f"support {self.request_id} by {self.user_id}"


class Follow(models.Model):
    """A user follows a dataset, a department or a request and is told of what happens to it."""

    class Target(models.TextChoices):
        DATASET = "dataset", _("dataset")
        DEPARTMENT = "department", _("department")
        REQUEST = "request", _("data request")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    target = models.CharField(max_length=12, choices=Target.choices)
    target_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["user", "target", "target_id"], name="datause_follow_once")
        ]
        indexes = [models.Index(fields=["target", "target_id"], name="datause_follow_target")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.target} {self.target_id}"


class ErrorReport(WorkflowModel, SlaMixin):
    """An error report (纠错) on a dataset, answered by its publisher within a time limit; its
    status and answer are public, its reporter is not."""

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="+", verbose_name=_("dataset"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    location = models.CharField(_("where (field, row)"), max_length=200, blank=True)
    description = models.TextField(_("what is wrong"))
    reply = models.TextField(_("reply"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resource", "state"], name="datause_report_res_state")]
        verbose_name = _("error report")
        verbose_name_plural = _("error reports")

    def audit_label(self) -> str:
        return f"error report {self.pk} on {self.resource_id}"


class Comment(models.Model):
    """A message in a dataset's discussion; moderators hide (never delete) what breaks the rules."""

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    body = models.TextField(_("message"))
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dataset message")
        verbose_name_plural = _("dataset messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["resource", "created_at"], name="datause_comment_res")]

    def __str__(self) -> str:
        return f"comment {self.pk}"

    def audit_label(self) -> str:
        return f"comment {self.pk} on {self.resource_id}"


class Rating(models.Model):
    """A user's rating (1-5 stars with a short reason) of a dataset; one per user, changeable."""

    resource = models.ForeignKey(DataResource, models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField(_("stars"))
    reason = models.CharField(_("reason"), max_length=200)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dataset rating")
        verbose_name_plural = _("dataset ratings")
        constraints = [models.UniqueConstraint(fields=["resource", "user"], name="datause_rating_once")]

    def __str__(self) -> str:
        return f"{self.stars} stars for {self.resource_id}"

    def audit_label(self) -> str:
        return f"rating {self.pk} on {self.resource_id}"


class Campaign(models.Model):
    """A data-innovation campaign (开放数据创新应用大赛): themes, a deadline, results."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline"))
    results = models.TextField(_("results"), blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reuse campaign")
        verbose_name_plural = _("reuse campaigns")
        ordering = ["-deadline", "-id"]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"campaign {self.pk} {self.title[:60]}"


class ReuseKind(models.TextChoices):
    APP = "app", _("application")
    ANALYSIS = "analysis", _("analysis")
    VISUALISATION = "visualisation", _("visualisation")
    RESEARCH = "research", _("research")


class Reuse(WorkflowModel):
    """A reuse (开放应用) built on open datasets, reviewed before it is shown."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ReuseKind.choices)
    url = models.URLField(_("link"), max_length=500)
    description = models.TextField(_("description"))
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    datasets = models.ManyToManyField(DataResource, related_name="+", verbose_name=_("datasets"))
    # Reviewed where its first dataset is published.
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        Campaign, models.SET_NULL, null=True, blank=True, related_name="reuses", verbose_name=_("campaign")
    )
    theme = models.CharField(_("theme"), max_length=100, blank=True)
    award = models.CharField(_("award"), max_length=100, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["state", "-published_at", "-id"], name="datause_reuse_published")]
        verbose_name = _("reuse")
        verbose_name_plural = _("reuses")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"reuse {self.pk} {self.title[:60]}"


class DatasetStatus(models.Model):
    """A dataset's published quality score (with its components) and timeliness, recomputed by
    the periodic scan and after feedback; ``overdue_since`` set while it is late for its declared
    update frequency, ``notified_on`` once its publisher was told."""

    resource = models.OneToOneField(DataResource, models.CASCADE, related_name="+", primary_key=True)
    score = models.PositiveSmallIntegerField(default=0)
    components = models.JSONField(default=dict)
    last_updated_at = models.DateTimeField(null=True, blank=True)
    overdue_since = models.DateTimeField(null=True, blank=True)
    notified_on = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dataset quality status")
        verbose_name_plural = _("dataset quality statuses")

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.score}"


from zhengtong.datause.workflows import ERROR_REPORT_FLOW, REQUEST_FLOW, REUSE_FLOW  # noqa: E402

DataRequest.workflow = REQUEST_FLOW
ErrorReport.workflow = ERROR_REPORT_FLOW
Reuse.workflow = REUSE_FLOW
