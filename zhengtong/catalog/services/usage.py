"""Usage statistics: views, downloads and API calls of a resource, counted per day."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhengtong.catalog.models import DataResource, UsageDaily


def usage_record(resource: DataResource | int, kind: str, *, count: int = 1) -> None:
    """Count ``count`` views, downloads or API calls of ``resource`` today (cheap: one UPDATE, no
    audit)."""
    if kind not in ("views", "downloads", "api_calls"):
        raise ValueError(f"unknown usage kind {kind!r}")
    resource_id = getattr(resource, "pk", resource)
    day = timezone.localdate()
    updated = UsageDaily.objects.filter(resource_id=resource_id, day=day).update(**{kind: F(kind) + count})
    if updated:
        return
    try:
        with transaction.atomic():
            UsageDaily.objects.create(resource_id=resource_id, day=day, **{kind: count})
    except IntegrityError:  # created by a concurrent request between our UPDATE and INSERT
        UsageDaily.objects.filter(resource_id=resource_id, day=day).update(**{kind: F(kind) + count})


def usage_record_many(counts: dict[tuple[int, str], int]) -> None:
    """Write counts gathered in memory, ``{(resource id, kind): n}``, skipping resources that no
    longer exist (a draft deleted since it was read)."""
    existing = set(
        DataResource.objects.filter(pk__in={rid for rid, _ in counts}).values_list("pk", flat=True)
    )
    for (resource_id, kind), n in counts.items():
        if resource_id in existing:
            usage_record(resource_id, kind, count=n)
