"""Threshold alerts: after each materialization, every indicator with thresholds is compared at
every unit down to the township over the alert window; a unit entering a band gets one alert a
day, and the nearest holders of ``cockpit.alerts`` (supervisors, leaders) are told."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.cockpit.models import Alert, IndicatorValue
from zhengtong.core.indicators import indicators
from zhengtong.notify.services import notify

DEEPEST = 3  # province 0, city 1, county 2, township 3
MIN_BASE = 3  # a ratio or mean over fewer records raises no alert (noise)


def alerts_scan(*, day: dt.date | None = None) -> int:
    """Create today's alerts (idempotent per indicator, unit and day) and tell the supervisors.
    Returns how many alerts were created."""
    day = day or timezone.localdate()
    window_from = day - dt.timedelta(days=settings.COCKPIT_ALERT_WINDOW_DAYS - 1)
    found: list[tuple[Any, str, float, str, float]] = []
    for ind in indicators():
        if ind.thresholds is None:
            continue
        rows = (
            IndicatorValue.objects.filter(
                code=ind.code, dim="", depth__lte=DEEPEST, day__gte=window_from, day__lte=day
            )
            .values("path")
            .annotate(n=Sum("num"), d=Sum("den"))
            .order_by()
        )
        for r in rows:
            if ind.kind in ("ratio", "mean") and (r["d"] or 0) < MIN_BASE:
                continue
            value = ind.value(r["n"] or 0, r["d"] or 0, settings.COCKPIT_ALERT_WINDOW_DAYS)
            band = ind.band(value)
            if band in ("warning", "alert"):
                threshold = ind.thresholds[0 if band == "warning" else 1]
                found.append((ind, r["path"], value, band, threshold))
    if not found:
        return 0
    units = {
        u.path: u
        for u in account_selectors.org_units_with_codes(
            sorted({p.rstrip("/").split("/")[-1] for _i, p, *_r in found})
        )
    }
    existing = set(
        Alert.objects.filter(day=day, code__in={i.code for i, *_r in found}).values_list(
            "code", "org_unit_id"
        )
    )
    created = 0
    for ind, path, value, band, threshold in found:
        unit = units.get(path)
        if unit is None or (ind.code, unit.pk) in existing:
            continue
        with transaction.atomic():
            Alert.objects.create(
                code=ind.code, org_unit=unit, day=day, band=band, value=value, threshold=threshold
            )
            for user in account_selectors.holders_of("cockpit.alerts", unit.path, nearest=True):
                notify(
                    recipient=user,
                    event="cockpit.alert",
                    title=_("%(unit)s: %(indicator)s is %(value)s %(unit_of)s (threshold %(threshold)s)")
                    % {
                        "unit": unit.name,
                        "indicator": ind.name,
                        "value": value,
                        "unit_of": ind.unit,
                        "threshold": threshold,
                    },
                    link=f"/cockpit/{unit.code}/?indicator={ind.code}",
                )
        created += 1
        existing.add((ind.code, unit.pk))
    return created


@transaction.atomic
def alert_acknowledge(*, actor: Any, alert: Alert) -> Alert:
    """Mark an alert as seen by someone who receives the unit's alerts (idempotent)."""
    ensure_can(actor, "cockpit.alerts", alert.org_unit)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit.record(actor=actor, action="cockpit.alert.acknowledge", target=alert, org_unit=alert.org_unit)
    return alert
