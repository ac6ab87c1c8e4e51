"""The published quality score of a dataset and its timeliness against the declared update
frequency (docs/datause.md, "Quality score", documents the formula; each component is tested).

Score (0-100) = the sum of eight components, each a fraction (0-1) times its weight:

=================  ======  =================================================================
component          weight  fraction
=================  ======  =================================================================
completeness         20    filled among 10 metadata items (description, keywords, domain not
                           "other", frequency not "irregular", temporal start and end,
                           spatial, contact name, contact e-mail, English title)
licence              10    1 for a licence the registry marks open (Open Definition), else 0
description          10    length of the description / 100 characters, at most 1
documentation        15    fields with a title other than their name or a description /
                           all fields (0 without data)
format               10    1 for an open machine-readable source (CSV, JSON, NDJSON, Parquet, GeoJSON),
                           0.5 for a spreadsheet (XLSX, XLS), 0 without data
validation           10    last load: 1 succeeded without row errors, 0.5 succeeded with some,
                           0 failed or none
ratings              15    mean stars / 5 (0.6, i.e. three stars, without ratings)
error reports        10    1 - 0.25 per unresolved report (an overdue one counts twice), at
                           least 0
=================  ======  =================================================================

Timeliness: a published dataset is overdue when its current version is older than its update
frequency allows (``ALLOWED_AGE``; "irregular" is never overdue).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog import licences
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.datause.models import DatasetStatus, ErrorReport, Rating
from zhengtong.datause.services.follows import tell

WEIGHTS = {
    "completeness": 20,
    "licence": 10,
    "description": 10,
    "documentation": 15,
    "format": 10,
    "validation": 10,
    "ratings": 15,
    "error_reports": 10,
}
LABELS = {
    "completeness": gettext_lazy("metadata completeness"),
    "licence": gettext_lazy("open licence"),
    "description": gettext_lazy("description"),
    "documentation": gettext_lazy("field documentation"),
    "format": gettext_lazy("open machine-readable format"),
    "validation": gettext_lazy("validation of the last load"),
    "ratings": gettext_lazy("users' ratings"),
    "error_reports": gettext_lazy("unresolved error reports"),
}
OPEN_FORMATS = {"csv", "json", "ndjson", "parquet", "geojson"}
SPREADSHEETS = {"xlsx", "xls"}
# How old the current version may be for each declared update frequency (a day's grace).
ALLOWED_AGE = {
    "realtime": dt.timedelta(days=1),
    "hourly": dt.timedelta(days=1),
    "daily": dt.timedelta(days=2),
    "weekly": dt.timedelta(days=8),
    "monthly": dt.timedelta(days=32),
    "quarterly": dt.timedelta(days=93),
    "yearly": dt.timedelta(days=367),
}


def completeness(resource: Any) -> float:
    items = [
        bool(resource.description.strip()),
        bool(resource.keywords),
        resource.domain != "other",
        resource.update_frequency != "irregular",
        resource.temporal_start is not None,
        resource.temporal_end is not None,
        bool(resource.spatial),
        bool(resource.contact_name),
        bool(resource.contact_email),
        bool(resource.title_en),
    ]
    return sum(items) / len(items)


def licence(resource: Any) -> float:
    info = licences.get(resource.licence)
    return 1.0 if info is not None and info.is_open else 0.0


def description(resource: Any) -> float:
    return min(1.0, len(resource.description.strip()) / 100)


def documentation(resource: Any) -> float:
    version = resource.current_version
    fields = version.fields if version is not None else []
    if not fields:
        return 0.0
    documented = [f for f in fields if (f.get("title") and f["title"] != f["name"]) or f.get("description")]
    return len(documented) / len(fields)


def data_format(resource: Any) -> float:
    version = resource.current_version
    fmt = (version.source_format if version is not None else "").lower()
    if fmt in OPEN_FORMATS:
        return 1.0
    return 0.5 if fmt in SPREADSHEETS else 0.0


def validation(resource: Any) -> float:
    loads = catalog_selectors.resource_loads(resource=resource, limit=1)
    if not loads or loads[0].state != "succeeded":
        return 0.0
    return 1.0 if loads[0].error_count == 0 else 0.5


def ratings(resource: Any) -> float:
    mean = Rating.objects.filter(resource=resource).aggregate(m=Avg("stars"))["m"]
    return 0.6 if mean is None else float(mean) / 5


def error_reports(resource: Any) -> float:
    counts = ErrorReport.objects.filter(resource=resource, state="open").aggregate(
        n=Count("id"), late=Count("id", filter=Q(sla_state="overdue"))
    )
    return max(0.0, 1 - 0.25 * (counts["n"] + counts["late"]))


COMPONENTS = {
    "completeness": completeness,
    "licence": licence,
    "description": description,
    "documentation": documentation,
    "format": data_format,
    "validation": validation,
    "ratings": ratings,
    "error_reports": error_reports,
}


def quality_score(resource: Any) -> tuple[int, dict[str, float]]:
    """The score (0-100, rounded) and each component's points."""
    points = {name: round(fn(resource) * WEIGHTS[name], 1) for name, fn in COMPONENTS.items()}
    return round(sum(points.values())), points


def last_updated(resource: Any) -> dt.datetime | None:
    version = resource.current_version
    return version.created_at if version is not None else resource.published_at


def is_overdue(resource: Any, *, now: dt.datetime | None = None) -> bool:
    allowed = ALLOWED_AGE.get(resource.update_frequency)
    updated = last_updated(resource)
    if allowed is None or updated is None or resource.state != "published":
        return False
    return (now or timezone.now()) - updated > allowed


def status_refresh(resource: Any, *, now: dt.datetime | None = None) -> DatasetStatus:
    """Recompute a dataset's score and timeliness; a newly overdue dataset's publishers (holders
    of catalog.edit for its department) are told once per overdue spell."""
    now = now or timezone.now()
    score, points = quality_score(resource)
    overdue = is_overdue(resource, now=now)
    with transaction.atomic():
        status, _created = DatasetStatus.objects.select_for_update().get_or_create(resource=resource)
        status.score, status.components = score, points
        status.last_updated_at = last_updated(resource)
        if not overdue:
            status.overdue_since, status.notified_on = None, None
        elif status.overdue_since is None:
            status.overdue_since = now
        if overdue and status.notified_on is None:
            status.notified_on = timezone.localdate(now)
            tell(
                account_selectors.holders_of(
                    "catalog.edit", resource.org_unit.path, department=resource.department_id
                ),
                event="datause.dataset_overdue",
                title=_("Dataset not updated on time: %s") % resource.title,
                body=_("Declared update frequency: %(freq)s; last updated %(at)s.")
                % {
                    "freq": resource.get_update_frequency_display(),
                    "at": date_format(timezone.localtime(status.last_updated_at), "Y-m-d H:i")
                    if status.last_updated_at
                    else "—",
                },
                link=reverse("catalog:dataset", args=[resource.name]),
            )
        status.save()
    return status


def status_scan() -> dict[str, int]:
    """The periodic scan: refresh every published dataset's status."""
    scanned = overdue = 0
    for resource in catalog_selectors.published_resources().select_related(
        "current_version", "org_unit", "department"
    ):
        status = status_refresh(resource)
        scanned += 1
        overdue += status.overdue_since is not None
    return {"scanned": scanned, "overdue": overdue}
