"""The cockpit's own indicators: what the live feeds measure (the demo's air-quality stations),
a feed's windows becoming daily figures at the feed's unit; and the platform's availability from
the worker's probes, counted at the top of the org tree."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum, Value
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.selectors import org_units_at_levels
from zhengtong.cockpit.models import FeedWindow, Probe
from zhengtong.core.indicators import Indicator, grouped_rows, in_period, local_range, register_indicator

AQI_METRIC = "aqi"


def aqi(day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    qs = FeedWindow.objects.filter(feed__metric=AQI_METRIC, start__gte=a, start__lt=b)
    return grouped_rows(qs, day="start", path="feed__org_unit__path", num=Sum("total"), den=Sum("count"))


def availability(day_from: dt.date, day_to: dt.date):
    roots = [u.path for u in org_units_at_levels(["province"])[:1]]
    if not roots:
        return []
    rows = grouped_rows(
        in_period(Probe.objects, "at", day_from, day_to).annotate(_root=Value(roots[0])),
        day="at",
        path="_root",
        num=Count("id", filter=Q(ok=True)),
        den=Count("id"),
        dims={"component": "component"},
    )
    return rows


def install() -> None:
    register_indicator(
        Indicator(
            code="platform.availability",
            name="平台可用率",
            name_en="Platform availability",
            definition=_(
                "Share of the worker's availability checks that passed (database, cache, web addresses)."
            ),
            formula="count(Probe passed) / count(Probe) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(99.9, 99.0),
            compute=availability,
            dimensions=("region", "component", "day"),
            frequency="hourly",
            owner="dsj",
            domain="platform",
            methodology=_(
                "Checked with every materialization run (COCKPIT_MATERIALIZE_INTERVAL_SECONDS): a query of the "
                "database, a write and read of the cache, and a GET of each address in COCKPIT_PROBE_URLS that "
                "must answer 2xx within COCKPIT_PROBE_TIMEOUT_SECONDS. Counted for the whole platform, at the "
                "province; a check that cannot run because the worker is down is not counted, so read it beside "
                "the worker's own monitoring."
            ),
        )
    )
    register_indicator(
        Indicator(
            code="environment.aqi",
            name="空气质量指数",
            name_en="Air quality index",
            definition=_("Mean AQI reported by the air-quality stations' live feeds."),
            formula="sum(reported AQI) / count(messages), feeds with metric aqi",
            unit="AQI",
            kind="mean",
            direction="down",
            thresholds=(100.0, 150.0),
            compute=aqi,
            frequency="hourly",
            owner="sthj",
            domain="environment",
            methodology=_("GB 3095-2012 bands: up to 100 good or moderate; above 150 unhealthy."),
        )
    )
