"""The cockpit's own indicators: what the live feeds measure (the demo's air-quality stations).
A feed's windows become daily figures at the feed's unit."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from zhengtong.cockpit.models import FeedWindow
from zhengtong.core.indicators import Indicator, grouped_rows, local_range, register_indicator

AQI_METRIC = "aqi"


def aqi(day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    qs = FeedWindow.objects.filter(feed__metric=AQI_METRIC, start__gte=a, start__lt=b)
    return grouped_rows(qs, day="start", path="feed__org_unit__path", num=Sum("total"), den=Sum("count"))


def install() -> None:
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
