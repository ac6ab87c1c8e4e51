"""The use side of open data for the cockpit (registered by ``wiring.install``): users' ratings of
datasets, and the share of datasets updated as often as they promise."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import (
    Indicator,
    RowSums,
    changed_days_of,
    days_between,
    grouped_rows,
    in_period,
    local_range,
    register_indicator,
)
from zhengtong.datause.models import DatasetStatus, Rating

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
