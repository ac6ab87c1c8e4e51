"""Volume-spike alerts (the hourly task); off-hours alerts are raised at call time."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from zhengtong.sharing.models import Alert, Exchange, Grant
from zhengtong.sharing.services.exchange import alert_notify


def spikes_scan(*, now: dt.datetime | None = None) -> int:
    """Raise an alert for each grant whose calls in the last hour exceed SHARING_SPIKE_FACTOR
    times its hourly average over the 7 days before, and SHARING_SPIKE_FLOOR. Returns how many."""
    now = now or timezone.now()
    hour_ago, week_ago = now - dt.timedelta(hours=1), now - dt.timedelta(days=7, hours=1)
    recent = dict(
        Exchange.objects.filter(at__gt=hour_ago, at__lte=now, grant__isnull=False)
        .values_list("grant")
        .annotate(n=Count("id"))
        .values_list("grant", "n")
    )
    raised = 0
    for grant_id, count in recent.items():
        if count < settings.SHARING_SPIKE_FLOOR:
            continue
        before = Exchange.objects.filter(grant_id=grant_id, at__gt=week_ago, at__lte=hour_ago).count()
        average = before / (7 * 24)
        if count <= settings.SHARING_SPIKE_FACTOR * max(average, 1):
            continue
        alert, created = Alert.objects.get_or_create(
            grant=Grant.objects.select_related("org_unit", "department", "profile").get(pk=grant_id),
            kind=Alert.Kind.SPIKE,
            day=timezone.localdate(now),
            defaults={"detail": f"{count} calls in the last hour; hourly average {average:.1f}"},
        )
        if created:
            alert_notify(alert)
            raised += 1
    return raised
