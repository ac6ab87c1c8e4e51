"""The cockpit's own data: the indicator store (materialized per day and org unit), the state of
materialization, threshold alerts, performance evaluations and their rectifications, the
open-data index, and live feeds with their windows and threshold events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.models import Credential, Department, OrgUnit


class IndicatorValue(models.Model):
    """Numerator and denominator of one indicator on one day at one org unit (and every unit
    above it: the leaf rows are added up the tree when stored), for the total (``dim`` "") or one
    breakdown value (``"department:12"``). Any period's figure is a sum over days."""

    code = models.CharField(max_length=64)
    day = models.DateField()
    path = models.CharField(max_length=128)
    parent_path = models.CharField(max_length=128, blank=True)
    depth = models.PositiveSmallIntegerField()
    dim = models.CharField(max_length=80, blank=True, default="")
    num = models.FloatField(default=0)
    den = models.FloatField(default=0)

    class Meta:
        constraints = [
            # Also the trend and the breakdowns of one indicator at one unit (covering: PostgreSQL).
            models.UniqueConstraint(
                fields=["code", "path", "dim", "day"], name="cockpit_value_unique_cov", include=["num", "den"]
            ),
        ]
        indexes = [
            # Headline figures of one unit, every indicator: path, dim "" and a day range. Covering
            # (PostgreSQL): the page's reads are index-only scans, no table rows are visited.
            models.Index(
                fields=["path", "dim", "day"], name="cockpit_value_unit_cov", include=["code", "num", "den"]
            ),
            # The map and league tables: the children of one unit for one indicator.
            models.Index(
                fields=["code", "parent_path", "dim", "day"],
                name="cockpit_value_children_cov",
                include=["path", "num", "den"],
            ),
            # Deleting the days being recomputed.
            models.Index(fields=["code", "day"], name="cockpit_value_day"),
        ]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")

    def __str__(self) -> str:
        return f"{self.code} {self.path} {self.dim} {self.day}"


class MaterializationState(models.Model):
    """How far an indicator has been materialized: rows updated after ``watermark`` are looked at
    by the next incremental run."""

    code = models.CharField(max_length=64, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_days = models.PositiveIntegerField(default=0)
    last_rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("materialisation state")
        verbose_name_plural = _("materialisation states")

    def __str__(self) -> str:
        return self.code


class Alert(models.Model):
    """An indicator crossing a threshold band at a unit over the alert window ending ``day``."""

    class Band(models.TextChoices):
        WARNING = "warning", _("warning")
        ALERT = "alert", _("alert")

    code = models.CharField(_("indicator"), max_length=64)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    day = models.DateField(_("day"))
    band = models.CharField(_("band"), max_length=8, choices=Band.choices)
    value = models.FloatField(_("value"))
    threshold = models.FloatField(_("threshold"))
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "org_unit", "day"], name="cockpit_alert_unique")
        ]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.code} {self.org_unit_id} {self.day}"

    def audit_label(self) -> str:
        return f"{self.code} {self.day}"


class Evaluation(models.Model):
    """A performance evaluation of the units one level below ``org_unit`` over a period, with the
    weights it used (published with it)."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    weights = models.JSONField(_("weights"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return f"{self.org_unit_id} {self.period_start}–{self.period_end}"

    def audit_label(self) -> str:
        return f"evaluation {self.pk} {self.period_start}–{self.period_end}"


class EvaluationScore(models.Model):
    evaluation = models.ForeignKey(Evaluation, models.CASCADE, related_name="scores")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    score = models.FloatField()
    components = models.JSONField(default=dict)  # code -> {"value", "score", "weight"}
    rank = models.PositiveIntegerField()
    previous_rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation score")
        verbose_name_plural = _("evaluation scores")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "org_unit"], name="cockpit_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.org_unit_id} {self.score}"

    @property
    def rank_change(self) -> int | None:
        return None if self.previous_rank is None else self.previous_rank - self.rank


class Rectification(models.Model):
    """A rectification required by an evaluation (the unit's worst indicator), tracked through a
    work order of kind "rectification"."""

    evaluation = models.ForeignKey(Evaluation, models.CASCADE, related_name="rectifications")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    code = models.CharField(max_length=64)
    score = models.FloatField()
    work_order_number = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "org_unit", "code"], name="cockpit_rectification_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_unit_id} {self.code}"


class OpenDataIndex(models.Model):
    """The open-data index (开放数林 layers) of a city or county for a period."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    period_end = models.DateField()
    layers = models.JSONField(default=dict)  # layer -> {"score", "indicators": {code: {"value", "score"}}}
    total = models.FloatField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("open-data index")
        verbose_name_plural = _("open-data indices")
        ordering = ["-total"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "period_end"], name="cockpit_odi_unique")]

    def __str__(self) -> str:
        return f"{self.org_unit_id} {self.period_end} {self.total}"


class Feed(models.Model):
    """A live feed (城市大脑): messages of one schema pushed by one sender, aggregated in windows
    per ``key_field`` value (a station), with a threshold on the window mean of ``metric``."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible department"),
    )
    schema = models.JSONField(_("message schema (JSON Schema)"), default=dict)
    key_field = models.CharField(_("key field"), max_length=40)
    metric = models.CharField(_("metric field"), max_length=40)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    window_seconds = models.PositiveIntegerField(_("window (seconds)"), default=3600)
    threshold = models.FloatField(_("threshold (window mean above)"), null=True, blank=True)
    category = models.CharField(_("work-order category"), max_length=32, default="0401")
    credential = models.ForeignKey(
        Credential, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("sender's key")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("live feed")
        verbose_name_plural = _("live feeds")

    def __str__(self) -> str:
        return self.code

    def audit_label(self) -> str:
        return f"feed {self.code}"


class FeedWindow(models.Model):
    feed = models.ForeignKey(Feed, models.CASCADE, related_name="windows")
    key = models.CharField(max_length=60)
    start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    minimum = models.FloatField(null=True)
    maximum = models.FloatField(null=True)
    last_at = models.DateTimeField()

    class Meta:
        verbose_name = _("feed window")
        verbose_name_plural = _("feed windows")
        ordering = ["-start", "key"]
        constraints = [models.UniqueConstraint(fields=["feed", "key", "start"], name="cockpit_window_unique")]

    def __str__(self) -> str:
        return f"{self.feed_id} {self.key} {self.start}"

    @property
    def mean(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None


class FeedEvent(models.Model):
    """A window whose mean crossed the feed's threshold: one per feed, key and window."""

    feed = models.ForeignKey(Feed, models.CASCADE, related_name="events")
    key = models.CharField(max_length=60)
    window_start = models.DateTimeField()
    value = models.FloatField()
    work_order_number = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feed event")
        verbose_name_plural = _("feed events")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "key", "window_start"], name="cockpit_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.feed_id} {self.key} {self.window_start}"


class RequestCount(models.Model):
    """Answers of the web and API servers in one hour by channel and status class, copied by the
    worker from the request counters the middleware keeps (``core.middleware``, through
    ``core.ratelimit``): the base of ``platform.error_rate``."""

    hour = models.DateTimeField()
    channel = models.CharField(max_length=10)
    status_class = models.PositiveSmallIntegerField()  # 1..5 for 1xx..5xx
    count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("request count")
        verbose_name_plural = _("request counts")
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "status_class"], name="cockpit_requestcount_unique"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="cockpit_requestcount_hour")]

    def __str__(self) -> str:
        return f"{self.hour} {self.channel} {self.status_class}xx {self.count}"


class Probe(models.Model):
    """One availability check of a part of the platform by the worker (``services.probes``): the
    database, the cache and each address of ``COCKPIT_PROBE_URLS``. The availability indicator is
    the share of passed checks."""

    at = models.DateTimeField(db_index=True)
    component = models.CharField(max_length=60)
    ok = models.BooleanField()
    ms = models.FloatField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("availability probe")
        verbose_name_plural = _("availability probes")
        ordering = ["-at", "component"]

    def __str__(self) -> str:
        return f"{self.component} {self.at} {'ok' if self.ok else 'failed'}"
