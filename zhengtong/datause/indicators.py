"""The use side's indicators for the cockpit and its open-data index (利用层), registered by
``wiring.install``: reuses published, data requests received and answered on time, datasets not
updated on time. Each is computed from this module's rows, by the org unit of the department
concerned."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import Indicator, days_of, grouped_rows, local_range, register_indicator
from zhengtong.datause.models import DataRequest, DatasetStatus, Reuse


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
        num=Count("id"),
        dims={"department": "resource__department_id"},
    )


def _changed(model, field: str):
    def changed(since):
        return days_of(model.objects.filter(**{f"{field}__gte": since}), field)

    return changed


def install() -> None:
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
