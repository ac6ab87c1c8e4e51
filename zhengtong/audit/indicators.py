"""The platform's own use, from the audit trail, for the cockpit ("数字政府使用的怎么样"): recorded
actions per region and channel (registered by ``AuditConfig.ready``). Events without an org unit
(anonymous sign-in attempts, platform-wide settings) have no region and are not counted."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from zhengtong.audit.models import AuditEvent
from zhengtong.core.indicators import Indicator, days_of, grouped_rows, local_range, register_indicator


def actions(day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    return grouped_rows(
        AuditEvent.objects.filter(occurred_at__gte=a, occurred_at__lt=b).exclude(org_unit_path=""),
        day="occurred_at",
        path="org_unit_path",
        num=Count("id"),
        dims={"channel": "channel"},
    )


def changed(since: dt.datetime) -> set[dt.date]:
    # Append-only: only events recorded since then.
    return days_of(AuditEvent.objects.filter(occurred_at__gte=since), "occurred_at")


def install() -> None:
    register_indicator(
        Indicator(
            code="platform.actions",
            name="平台业务操作量",
            name_en="Platform actions",
            definition=_(
                "Actions recorded in the audit trail (applications, decisions, reports, data loads...), by channel."
            ),
            formula="count(AuditEvent with an org unit, by occurred_at)",
            unit="次",
            kind="count",
            direction="up",
            compute=actions,
            changed_days=changed,
            dimensions=("region", "channel", "day"),
            owner="dsj",
            domain="platform",
        )
    )
