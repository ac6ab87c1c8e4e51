"""The catalogue's open-data indicators for the cockpit and its open-data index (registered by
``wiring.install``): datasets opened by grade, their use (downloads, API calls), conditional-data
applications and how long their decisions take."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.models import DataApplication, DataResource, UsageDaily
from zhengtong.core.indicators import (
    Indicator,
    RowSums,
    changed_days_of,
    count_rows,
    duration_rows,
    grouped_rows,
    in_period,
    records_of,
    register_indicator,
    share_rows,
)

OPEN = ("unconditional", "conditional")
PATH = "org_unit__path"


def _opened():
    return DataResource.objects.filter(openness__in=OPEN)


def opened(day_from, day_to):
    return count_rows(
        _opened(),
        day_from,
        day_to,
        day="published_at",
        path=PATH,
        dims={"grade": "grade", "openness": "openness", "department": "department_id"},
    )


def fields_opened(day_from, day_to):
    """Fields of the loaded opened datasets, by each field's grade (the schema keeps one per
    field): counted in Python, since the schema is JSON."""
    tz = timezone.get_current_timezone()
    sums = RowSums()
    rows = in_period(_opened(), "published_at", day_from, day_to).exclude(current_version=None)
    for published, path, schema in rows.values_list("published_at", PATH, "current_version__schema"):
        for f in (schema or {}).get("fields", []):
            sums.add(published.astimezone(tz).date(), path, 1.0, grade=f.get("grade"))
    return sums.rows()


def _opened_share(q: Q):
    def compute(day_from, day_to):
        return share_rows(_opened(), day_from, day_to, day="published_at", path=PATH, where=q)

    return compute


# Complete metadata: a description, keywords, a contact and the temporal coverage.
COMPLETE = Q(description__gt="") & ~Q(keywords=[]) & Q(contact_email__gt="") & Q(temporal_start__isnull=False)


def _usage(column: str):
    def compute(day_from, day_to):
        return grouped_rows(
            in_period(UsageDaily.objects, "day", day_from, day_to, is_date=True),
            day="day",
            day_is_date=True,
            path="resource__org_unit__path",
            num=Sum(column),
            dims={"department": "resource__department_id"},
        )

    return compute


def applications(day_from, day_to):
    return count_rows(
        DataApplication.objects,
        day_from,
        day_to,
        day="created_at",
        path=PATH,
        dims={"department": "department_id"},
    )


def decision_days(day_from, day_to):
    """Mean days from application to decision, on the day of the decision."""
    return duration_rows(
        DataApplication.objects,
        day_from,
        day_to,
        start="created_at",
        end="decided_at",
        path=PATH,
        dim=("department", "department_id"),
        seconds=86400.0,
    )


def records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    return records_of(
        DataResource.objects.select_related("org_unit"),
        path,
        day_from,
        day_to,
        limit,
        at="published_at",
        path_field=PATH,
        row=lambda r: {
            "ref": r.name,
            "at": r.published_at,
            "state": f"{r.state} · {r.grade}",
            "label": r.title,
            "path": r.org_unit.path,
        },
    )


def _published_changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(DataResource.objects, since, days=("published_at",), updated="modified_at")


def _applications_changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(DataApplication.objects, since, days=("created_at", "decided_at"))


def install() -> None:
    common = {"owner": "dsj", "domain": "opendata", "dimensions": ("region", "department", "day")}
    register_indicator(
        Indicator(
            code="opendata.datasets_opened",
            name="开放数据集数",
            name_en="Datasets opened",
            definition=_("Datasets published openly or on conditions."),
            formula="count(DataResource by published_at, openness unconditional or conditional)",
            unit="个",
            kind="count",
            direction="up",
            compute=opened,
            records=records,
            changed_days=_published_changed,
            weight=0.05,
            **{**common, "dimensions": ("region", "grade", "openness", "department", "day")},
        )
    )
    register_indicator(
        Indicator(
            code="opendata.fields_opened",
            name="开放数据项数",
            name_en="Fields opened",
            definition=_(
                "Fields (columns) of the opened datasets whose rows are loaded, by each field's grade."
            ),
            formula="sum over opened datasets of the fields in their current version's schema",
            unit="项",
            kind="count",
            direction="up",
            compute=fields_opened,
            records=records,
            changed_days=_published_changed,
            **{**common, "dimensions": ("region", "grade", "day")},
            methodology=_(
                "Counted on the day the dataset was published, with the schema of its current version."
            ),
        )
    )
    for code, name, name_en, q, definition in (
        (
            "opendata.metadata_complete_share",
            "元数据完整率",
            "Metadata completeness",
            COMPLETE,
            _(
                "Share of opened datasets with a description, keywords, a contact and their temporal coverage."
            ),
        ),
        (
            "opendata.machine_readable_share",
            "可机读数据集占比",
            "Machine-readable share",
            Q(current_version__isnull=False),
            _(
                "Share of opened datasets whose rows are loaded (downloadable as CSV/JSON and through the API)."
            ),
        ),
        (
            "opendata.unconditional_share",
            "无条件开放占比",
            "Openly licensed share",
            Q(openness="unconditional"),
            _("Share of opened datasets open without conditions."),
        ),
    ):
        register_indicator(
            Indicator(
                code=code,
                name=name,
                name_en=name_en,
                definition=definition,
                formula="count(opened datasets matching) / count(opened datasets) × 100",
                unit="%",
                kind="ratio",
                direction="up",
                compute=_opened_share(q),
                records=records,
                changed_days=_published_changed,
                **{**common, "dimensions": ("region", "day")},
            )
        )
    for code, name, name_en, column in (
        ("opendata.downloads", "数据下载量", "Downloads", "downloads"),
        ("opendata.api_calls", "数据接口调用量", "API calls", "api_calls"),
    ):
        register_indicator(
            Indicator(
                code=code,
                name=name,
                name_en=name_en,
                definition=_("Daily usage counted by the catalogue."),
                formula=f"sum(UsageDaily.{column})",
                unit="次",
                kind="count",
                direction="up",
                compute=_usage(column),
                **common,
            )
        )
    register_indicator(
        Indicator(
            code="opendata.applications",
            name="数据申请量",
            name_en="Data applications",
            definition=_("Applications for conditionally open data."),
            formula="count(DataApplication by created_at)",
            unit="件",
            kind="count",
            direction="up",
            compute=applications,
            changed_days=_applications_changed,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="opendata.decision_days",
            name="数据申请平均答复天数",
            name_en="Average days to decide a data application",
            definition=_("Mean days from a data application to its decision."),
            formula="sum(decided_at - created_at) / count(decided), in days",
            unit="天",
            kind="mean",
            direction="down",
            thresholds=(10.0, 20.0),
            compute=decision_days,
            changed_days=_applications_changed,
            **common,
        )
    )
