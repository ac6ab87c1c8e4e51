"""The use side of open data for the cockpit (registered by ``wiring.install``): users' ratings of
datasets, and the share of datasets updated as often as they promise."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import (
    Indicator,
    RowSums,
    changed_days_of,
    days_between,
    days_of,
    grouped_rows,
    in_period,
    local_range,
    register_indicator,
)
from zhengtong.datause.models import DataRequest, DatasetStatus, Rating, Reuse

PATH = "resource__org_unit__path"


def dataset_rating(day_from, day_to):
    return grouped_rows(
        in_period(Rating.objects, "modified_at", day_from, day_to),
        day="modified_at",
        path=PATH,
        num=Sum("stars"),
        den=Count("id"),
        dims={"department": "resource__department_id"},
    )


def timely(day_from, day_to):
    """Each day, the datasets published by then that were not overdue for their declared update
    frequency at the end of the day, over the datasets published by then (the scan's
    ``overdue_since``: a lateness that has ended is not remembered, so past days count only the
    current one)."""
    rows = list(
        DatasetStatus.objects.exclude(resource__published_at=None).values_list(
            PATH, "resource__published_at", "overdue_since"
        )
    )
    sums = RowSums()
    for day in days_between(day_from, day_to):
        _start, end = local_range(day, day)
        for path, published, overdue in rows:
            if published < end:
                sums.add(day, path, 0.0 if overdue is not None and overdue < end else 1.0, 1.0)
    return sums.rows()


def _ratings_changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(Rating.objects, since, days=("modified_at",))


def _timely_changed(since: dt.datetime) -> set[dt.date]:
    """From the earliest day a status changed since then (an overdue date set or cleared moves
    every day after it) to today."""
    starts = [
        timezone.localdate(o or c)
        for o, c in DatasetStatus.objects.filter(computed_at__gte=since).values_list(
            "overdue_since", "computed_at"
        )
    ]
    return set(days_between(min(starts), timezone.localdate())) if starts else set()


def install() -> None:
    common = {"owner": "dsj", "domain": "opendata", "direction": "up"}
    register_indicator(
        Indicator(
            code="opendata.dataset_rating",
            name="数据集用户评分",
            name_en="Users' rating of datasets",
            definition=_("Mean stars (1 to 5) users gave the datasets, each user's latest rating."),
            formula="sum(stars) / count(ratings), on the day each was last given",
            unit="星",
            kind="mean",
            thresholds=(3.5, 3.0),
            compute=dataset_rating,
            changed_days=_ratings_changed,
            dimensions=("region", "department", "day"),
            methodology=_(
                "A user rates a dataset once and may change the rating: it counts on the day it was last "
                "given (a full recomputation moves a changed rating off its earlier day)."
            ),
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="opendata.timely_update_rate",
            name="数据及时更新率",
            name_en="Timely-update rate",
            definition=_("Share of published datasets not overdue for the update frequency they declare."),
            formula="count(published datasets not overdue at the end of the day) / count(published datasets) × 100",
            unit="%",
            kind="ratio",
            thresholds=(90.0, 80.0),
            compute=timely,
            changed_days=_timely_changed,
            dimensions=("region", "day"),
            methodology=_(
                "From the quality scan's overdue date per dataset; a lateness that has ended is not kept, so "
                "past days count only the current lateness."
            ),
            **common,
        )
    )
    install_use_side()


def reuses_published(day_from, day_to):
    a, b = local_range(day_from, day_to)
    qs = Reuse.objects.filter(state="published", published_at__gte=a, published_at__lt=b)
    return grouped_rows(qs, day="published_at", path="org_unit__path", num=Count("id"))


def requests_received(day_from, day_to):
    a, b = local_range(day_from, day_to)
    qs = DataRequest.objects.filter(created_at__gte=a, created_at__lt=b)
    return grouped_rows(
        qs, day="created_at", path="org_unit__path", num=Count("id"), dims={"department": "department_id"}
    )


def requests_on_time(day_from, day_to):
    a, b = local_range(day_from, day_to)
    qs = DataRequest.objects.filter(answered_at__gte=a, answered_at__lt=b)
    return grouped_rows(
        qs,
        day="answered_at",
        path="org_unit__path",
        num=Count("id", filter=Q(answered_on_time=True)),
        den=Count("id"),
        dims={"department": "department_id"},
    )


def overdue_datasets(day_from, day_to):
    a, b = local_range(day_from, day_to)
    qs = DatasetStatus.objects.filter(overdue_since__gte=a, overdue_since__lt=b)
    return grouped_rows(
        qs,
        day="overdue_since",
        path="resource__org_unit__path",
        num=Count("resource_id"),
        dims={"department": "resource__department_id"},
    )


def _changed(model, field: str):
    def changed(since):
        return days_of(model.objects.filter(**{f"{field}__gte": since}), field)

    return changed


def install_use_side() -> None:
    """Reuses and data requests (the 利用层 of the open-data index)."""
    common = {"owner": "dsj", "domain": "opendata", "dimensions": ("region", "day")}
    register_indicator(
        Indicator(
            code="datause.reuses_published",
            name="开放数据应用数",
            name_en="Reuses published",
            definition=_(
                "Applications, analyses, visualisations and research built on open data, once reviewed."
            ),
            formula="count(Reuse published, by published_at)",
            unit="个",
            kind="count",
            direction="up",
            compute=reuses_published,
            changed_days=_changed(Reuse, "published_at"),
            **common,
        )
    )
    with_department = {**common, "dimensions": ("region", "department", "day")}
    register_indicator(
        Indicator(
            code="datause.requests_received",
            name="数据需求数",
            name_en="Data requests received",
            definition=_("Requests for data addressed to departments."),
            formula="count(DataRequest by created_at)",
            unit="件",
            kind="count",
            direction="up",
            compute=requests_received,
            changed_days=_changed(DataRequest, "created_at"),
            **with_department,
        )
    )
    register_indicator(
        Indicator(
            code="datause.requests_on_time_share",
            name="数据需求按时答复率",
            name_en="Data requests answered on time",
            definition=_("Share of answered data requests answered within the time limit."),
            formula="count(answered on time) / count(answered) × 100, by answered_at",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(90.0, 70.0),
            compute=requests_on_time,
            changed_days=_changed(DataRequest, "answered_at"),
            **with_department,
        )
    )
    register_indicator(
        Indicator(
            code="datause.overdue_datasets",
            name="未按时更新数据集数",
            name_en="Datasets not updated on time",
            definition=_("Datasets found older than their declared update frequency allows."),
            formula="count(DatasetStatus by overdue_since)",
            unit="个",
            kind="count",
            direction="down",
            compute=overdue_datasets,
            changed_days=_changed(DatasetStatus, "overdue_since"),
            **with_department,
        )
    )
