"""The services module's indicators for the cockpit (registered by ``wiring.install``): cases,
their time limits and channels, materials avoided, and 好差评 ratings and their rectification."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.calendar import is_workday
from zhengtong.core.indicators import (
    Indicator,
    RowSums,
    changed_days_of,
    count_rows,
    days_between,
    duration_rows,
    grouped_rows,
    in_period,
    on_time_rows,
    records_of,
    register_indicator,
    share_rows,
)
from zhengtong.services.models import Case, Rating, ServiceItem

DONE = ("completed", "approved", "rejected", "refused")
BAD = 2  # a rating at or below this is 差评
RECTIFIED = ("rectified", "upheld", "revised")
DEPARTMENT = {"department": "department_id"}
# The 好差评 sub-indicator that rates the platform's application itself (services.SUB_INDICATORS).
USABILITY = "usability"


def applications(day_from, day_to):
    return count_rows(Case.objects, day_from, day_to, day="submitted_at", path="org_path", dims=DEPARTMENT)


def _share_of_submitted(q: Q):
    def compute(day_from, day_to):
        return share_rows(
            Case.objects, day_from, day_to, day="submitted_at", path="org_path", where=q, dims=DEPARTMENT
        )

    return compute


def on_time(day_from, day_to):
    return on_time_rows(Case.objects, day_from, day_to, done="completed_at", path="org_path", dims=DEPARTMENT)


def first_time(day_from, day_to):
    """一次办结, as far as the case row tells: decided without an escalation for lateness (a
    correction request leaves no trace on the row once resubmitted; docs/cockpit.md says so)."""
    return share_rows(
        Case.objects,
        day_from,
        day_to,
        day="completed_at",
        path="org_path",
        where=Q(escalated_at__isnull=True),
        dims=DEPARTMENT,
    )


# A material counts when it is an object whose "by" is truthy as Python reads it (not null, false,
# 0, "", [] or {}): the same test as the Python branch below.
MATERIALS_BY_SQL = """(SELECT count(*) FROM jsonb_each(CASE WHEN jsonb_typeof(services_case.materials) = 'object'
    THEN services_case.materials ELSE '{}'::jsonb END) AS m(k, v)
    WHERE jsonb_typeof(m.v) = 'object' AND m.v -> 'by' IS NOT NULL
      AND m.v -> 'by' NOT IN ('null'::jsonb, 'false'::jsonb, '0'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb))"""


def materials_avoided(day_from, day_to):
    """Materials satisfied by a registry record, an e-licence or another result (not uploaded): the
    materials whose ``by`` is set. Counted in SQL on PostgreSQL (jsonb), elsewhere in Python,
    since the per-case JSON is not portable SQL."""
    if connection.vendor == "postgresql":
        return grouped_rows(
            in_period(Case.objects, "submitted_at", day_from, day_to),
            day="submitted_at",
            path="org_path",
            # A constant expression of the model's own table and columns: nothing from outside.
            num=Sum(RawSQL(MATERIALS_BY_SQL, [], output_field=IntegerField())),  # noqa: S611
            dims=DEPARTMENT,
        )
    sums = RowSums()
    qs = in_period(Case.objects, "submitted_at", day_from, day_to).annotate(_d=TruncDate("submitted_at"))
    for day, path, dept, materials in qs.values_list("_d", "org_path", "department_id", "materials"):
        n = sum(1 for m in (materials or {}).values() if isinstance(m, dict) and m.get("by"))
        sums.add(day, path, n, department=dept)
    return sums.rows()


def _working_days(against_limit: bool):
    """Working days from submission to decision (in (submitted, decided], the working-day
    calendar with 调休), on the day of the decision: the mean (``against_limit`` False) or the
    share of the statutory limit used (Σ used / Σ statutory days)."""

    def compute(day_from, day_to):
        tz = timezone.get_current_timezone()
        qs = (
            in_period(Case.objects, "completed_at", day_from, day_to)
            .exclude(submitted_at=None)
            .values_list(
                "submitted_at", "completed_at", "org_path", "department_id", "item_version__statutory_days"
            )
            .order_by()
        )
        # Working days up to each date, counted once per date (a case spans a few days, a million
        # cases would otherwise ask the calendar millions of times), over a range of dates that
        # grows as the streamed rows need it: counts[d] = working days in [low, d].
        counts: dict[dt.date, int] = {}
        span: list[dt.date] = []  # [low, high] once known

        def upto(day: dt.date) -> int:
            if not span:
                span[:] = [day, day]
                counts[day] = int(is_workday(day))
            low, high = span
            if day < low:
                earlier = days_between(day, low - dt.timedelta(days=1))
                added = sum(1 for d in earlier if is_workday(d))
                for known in counts:
                    counts[known] += added
                n = 0
                for d in earlier:
                    n += int(is_workday(d))
                    counts[d] = n
                span[0] = day
            elif day > high:
                n = counts[high]
                for d in days_between(high + dt.timedelta(days=1), day):
                    n += int(is_workday(d))
                    counts[d] = n
                span[1] = day
            return counts[day]

        sums = RowSums()
        for sub, done, path, dept, limit in qs.iterator(5000):
            submitted, decided = sub.astimezone(tz).date(), done.astimezone(tz).date()
            # The earlier date first: extending the range downwards shifts every count already
            # known, so the later date must be read after it.
            start = upto(submitted)
            used = max(0, upto(decided) - start)
            sums.add(decided, path, used, float(limit or 0) if against_limit else 1.0, department=dept)
        return sums.rows()

    return compute


def satisfaction(day_from, day_to):
    return grouped_rows(
        in_period(Rating.objects.filter(excluded=False), "created_at", day_from, day_to),
        day="created_at",
        path="org_unit__path",
        num=Sum("score"),
        den=Count("id"),
        dims=DEPARTMENT,
    )


def app_rating(day_from, day_to):
    """The GB/T 39734 sub-indicator 平台操作性 (ease of use of the platform) that a 好差评 rating
    may carry: users' own rating of the application they applied through."""
    usability = Cast(KeyTextTransform(USABILITY, "sub_scores"), IntegerField())
    return grouped_rows(
        in_period(Rating.objects.filter(sub_scores__has_key=USABILITY), "created_at", day_from, day_to),
        day="created_at",
        path="org_unit__path",
        num=Sum(usability),
        den=Count("id"),
        dims={"item": "item_id"},
    )


def item_labels(dimension: str, keys: list[str]) -> dict[str, str]:
    if dimension != "item":
        return {}
    ids = [int(k) for k in keys if k.isdigit()]
    return {str(pk): name for pk, name in ServiceItem.objects.filter(pk__in=ids).values_list("pk", "name")}


def rectification(day_from, day_to):
    return share_rows(
        Rating.objects.filter(score__lte=BAD, excluded=False),
        day_from,
        day_to,
        day="created_at",
        path="org_unit__path",
        where=Q(state__in=RECTIFIED),
        dims=DEPARTMENT,
    )


def case_records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    return records_of(
        Case.objects.select_related("item"),
        path,
        day_from,
        day_to,
        limit,
        at="submitted_at",
        path_field="org_path",
        row=lambda c: {
            "ref": c.number,
            "at": c.submitted_at,
            "state": c.state,
            "label": c.item.name,
            "path": c.org_path,
        },
    )


def rating_records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    return records_of(
        Rating.objects.select_related("case", "item", "org_unit"),
        path,
        day_from,
        day_to,
        limit,
        at="created_at",
        path_field="org_unit__path",
        row=lambda r: {
            "ref": r.case.number,
            "at": r.created_at,
            "state": f"{r.score} · {r.state}",
            "label": r.item.name,
            "path": r.org_unit.path,
        },
    )


def _cases_changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(Case.objects, since, days=("submitted_at", "completed_at"), updated="updated_at")


def _ratings_changed(since: dt.datetime) -> set[dt.date]:
    """The days of the ratings created or changed (rectified, appealed) since then."""
    return changed_days_of(Rating.objects, since, days=("created_at", "rectified_at"), updated="updated_at")


def rectification_days(day_from, day_to):
    """Mean days from a bad rating to the close of its rectification, on the day it closed."""
    return duration_rows(
        Rating.objects.filter(score__lte=BAD, excluded=False),
        day_from,
        day_to,
        start="created_at",
        end="rectified_at",
        path="org_unit__path",
        dim=("department", "department_id"),
        seconds=86400.0,
    )


COMMON = {"owner": "zwfw", "domain": "services"}


def install() -> None:
    register_indicator(
        Indicator(
            code="services.applications",
            name="办件量",
            name_en="Applications",
            definition=_("Applications submitted for government services."),
            formula="count(Case where submitted_at in period)",
            unit="件",
            kind="count",
            direction="up",
            compute=applications,
            records=case_records,
            changed_days=_cases_changed,
            dimensions=("region", "department", "day"),
            methodology=_("Counted on the day of submission, at the unit that handles the case."),
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.on_time_rate",
            name="按时办结率",
            name_en="On-time completion rate",
            definition=_("Share of cases decided within their promised time limit."),
            formula="count(decided on or before sla_deadline) / count(decided) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(98.0, 95.0),
            compute=on_time,
            records=case_records,
            changed_days=_cases_changed,
            dimensions=("region", "department", "day"),
            weight=0.25,
            methodology=_(
                "Counted on the day of the decision; a case without a time limit counts as on time."
            ),
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.working_days",
            name="平均办理工作日",
            name_en="Average working days to decide",
            definition=_("Mean working days from submission to decision."),
            formula="sum(working days in (submitted_at, completed_at]) / count(decided)",
            unit="工作日",
            kind="mean",
            direction="down",
            compute=_working_days(False),
            records=case_records,
            changed_days=_cases_changed,
            dimensions=("region", "department", "day"),
            methodology=_(
                "Working days follow the platform's calendar (official holidays and 调休, with its overrides); "
                "counted on the day of the decision."
            ),
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.statutory_time_used",
            name="法定时限使用率",
            name_en="Statutory time limit used",
            definition=_(
                "Working days used to decide, as a share of the statutory time limits of the cases."
            ),
            formula="sum(working days used) / sum(statutory working days of the item version) × 100",
            unit="%",
            kind="ratio",
            direction="down",
            thresholds=(60.0, 100.0),
            compute=_working_days(True),
            records=case_records,
            changed_days=_cases_changed,
            dimensions=("region", "department", "day"),
            methodology=_(
                "Below 100% the cases were decided within the law's limit on the whole; 承诺时限 below the "
                "statutory one is what makes the share fall (减时限)."
            ),
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.first_time_rate",
            name="一次办结率",
            name_en="Done-in-one rate",
            definition=_("Share of decided cases that were never escalated for lateness."),
            formula="count(decided, never escalated) / count(decided) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(95.0, 90.0),
            compute=first_time,
            records=case_records,
            changed_days=_cases_changed,
            dimensions=("region", "department", "day"),
            weight=0.1,
            **COMMON,
        )
    )
    for code, name, name_en, q, definition in (
        (
            "services.online_rate",
            "网办率",
            "Online rate",
            Q(item__online=True),
            _("Share of applications for items that can be done entirely online."),
        ),
        (
            "services.mobile_share",
            "掌办率",
            "Mobile share",
            Q(item__mobile=True),
            _("Share of applications for items available on mobile."),
        ),
        (
            "services.zero_trip_share",
            "跑零次率",
            "Zero-trip share",
            Q(item__visits=0),
            _("Share of applications for items that need no visit in person."),
        ),
    ):
        register_indicator(
            Indicator(
                code=code,
                name=name,
                name_en=name_en,
                definition=definition,
                formula="count(applications matching) / count(applications) × 100",
                unit="%",
                kind="ratio",
                direction="up",
                thresholds=(80.0, 60.0),
                compute=_share_of_submitted(q),
                records=case_records,
                changed_days=_cases_changed,
                dimensions=("region", "department", "day"),
                weight=0.1 if code == "services.online_rate" else 0.0,
                **COMMON,
            )
        )
    register_indicator(
        Indicator(
            code="services.materials_avoided",
            name="免提交材料数",
            name_en="Materials avoided",
            definition=_(
                "Materials satisfied by registry data, e-licences or earlier results instead of uploads."
            ),
            formula="sum over applications of materials with a source",
            unit="份",
            kind="count",
            direction="up",
            compute=materials_avoided,
            records=case_records,
            changed_days=_cases_changed,
            dimensions=("region", "department", "day"),
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.satisfaction",
            name="好差评满意度",
            name_en="Satisfaction (好差评)",
            definition=_("Average overall score of ratings (5 = very satisfied)."),
            formula="sum(score) / count(ratings)",
            unit="分",
            kind="mean",
            direction="up",
            thresholds=(4.5, 4.0),
            compute=satisfaction,
            records=rating_records,
            changed_days=_ratings_changed,
            dimensions=("region", "department", "day"),
            weight=0.2,
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.app_rating",
            name="用户对平台应用的评价",
            name_en="Users' rating of the platform's applications",
            definition=_(
                "Average score users gave the ease of use of the platform they applied through (the 好差评 "
                "sub-indicator 平台操作性, 5 = very satisfied), by service item."
            ),
            formula="sum(sub_scores.usability) / count(ratings with it)",
            unit="分",
            kind="mean",
            direction="up",
            thresholds=(4.5, 4.0),
            compute=app_rating,
            records=rating_records,
            changed_days=_ratings_changed,
            labels=item_labels,
            dimensions=("region", "item", "day"),
            methodology=_(
                "Collected with the 好差评 rating of a completed case (GB/T 39734 online sub-indicators), only "
                "where the user scored the platform's ease of use; counted on the day of the rating. The "
                "datasets' own ratings are opendata.dataset_rating."
            ),
            **{**COMMON, "domain": "platform"},
        )
    )
    register_indicator(
        Indicator(
            code="services.rectification_rate",
            name="差评整改率",
            name_en="Bad-rating rectification rate",
            definition=_("Share of bad ratings (score 1 or 2) whose rectification is finished."),
            formula="count(bad ratings rectified, upheld or revised) / count(bad ratings) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(95.0, 80.0),
            compute=rectification,
            records=rating_records,
            changed_days=_ratings_changed,
            dimensions=("region", "department", "day"),
            weight=0.1,
            **COMMON,
        )
    )
    register_indicator(
        Indicator(
            code="services.rectification_days",
            name="差评整改平均天数",
            name_en="Average days to rectify a bad rating",
            definition=_(
                "Mean days from a bad rating (score 1 or 2) to the close of its rectification work order."
            ),
            formula="sum(rectified_at - created_at) / count(rectified bad ratings), in days",
            unit="天",
            kind="mean",
            direction="down",
            thresholds=(5.0, 10.0),
            compute=rectification_days,
            records=rating_records,
            changed_days=_ratings_changed,
            dimensions=("region", "department", "day"),
            methodology=_(
                "Counted on the day the rectification closed; ratings rectified before the platform kept that "
                "time have none and are not counted."
            ),
            **COMMON,
        )
    )
