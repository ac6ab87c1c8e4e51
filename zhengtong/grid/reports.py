"""一表通: base-level reports produced from data the platform already holds.

A template is a list of fields, each a small declarative query (source, aggregate, filters) or
a "manual" field naming a shared fact key. Producing a report runs the queries for one org unit
and one month; manual facts are looked up (entered once per unit and month, or standing), so a
person never enters the same fact twice, whichever template asks for it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can, subtree_q
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.grid.models import (
    GridAssignment,
    GridCell,
    Incident,
    ManualFact,
    Patrol,
    ReportRun,
    ReportTemplate,
)
from zhengtong.registry import selectors as registry_selectors

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit

audit_actions.register(
    {
        "grid.report.produce": gettext_lazy("Produce base-level report"),
        "grid.fact.enter": gettext_lazy("Enter report figure"),
        "grid.report_template.save": gettext_lazy("Save report template"),
    }
)

SOURCES = ("incidents", "patrols", "persons", "legal_entities", "grid_workers", "cells", "manual")
AGGREGATES = ("count", "count_distinct", "sum", "avg_hours")
INCIDENT_FILTERS = {"kind", "group", "category_prefix", "state_in", "sla_state", "source", "date"}


def validate_fields(fields: list[dict]) -> None:
    """Check a template's field specs; errors name the field and the rule."""
    problems: dict[str, str] = {}
    keys: set[str] = set()
    for i, spec in enumerate(fields):
        key = spec.get("key", "")
        name = f"fields[{i}]"
        if not key or not str(key).replace("_", "").isalnum() or key in keys:
            problems[name] = _("key must be a unique identifier")
            continue
        keys.add(key)
        if not spec.get("label"):
            problems[name] = _("label is required")
        if spec.get("source") not in SOURCES:
            problems[name] = _("source must be one of %s") % ", ".join(SOURCES)
        elif spec["source"] != "manual" and spec.get("aggregate", "count") not in AGGREGATES:
            problems[name] = _("aggregate must be one of %s") % ", ".join(AGGREGATES)
        unknown = set(spec.get("filters", {})) - INCIDENT_FILTERS
        if spec.get("source") == "incidents" and unknown:
            problems[name] = _("unknown filters: %s") % ", ".join(sorted(unknown))
    if problems:
        raise ValidationError(fields=problems)


@transaction.atomic
def template_save(
    *,
    actor: Any,
    code: str,
    name: str,
    fields: list[dict],
    name_en: str = "",
    description: str = "",
    level: str = "township",
) -> ReportTemplate:
    ensure_can(actor, "grid.manage")
    validate_fields(fields)
    template, _created = ReportTemplate.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "name_en": name_en,
            "description": description,
            "fields": fields,
            "level": level,
        },
    )
    audit.record(
        actor=actor, action="grid.report_template.save", target=template, after={"fields": len(fields)}
    )
    return template


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first = dt.datetime.strptime(period, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ValidationError.for_field("period", _("must be a month like 2026-03")) from None
    if not 1900 <= first.year <= 9000:  # beyond, the month's bounds overflow the date range
        raise ValidationError.for_field("period", _("must be a month between 1900-01 and 9000-12"))
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=tz),
        dt.datetime.combine(nxt, dt.time(), tzinfo=tz),
    )


def _incident_value(spec: dict, unit: OrgUnit, start: dt.datetime, end: dt.datetime) -> Any:
    filters = spec.get("filters", {})
    qs = Incident.objects.filter(subtree_q(unit.path, "org_unit__path")).exclude(state="merged")
    date_field = "closed_at" if filters.get("date") == "closed" else "reported_at"
    if filters.get("date") != "open_at_end":
        qs = qs.filter(**{f"{date_field}__gte": start, f"{date_field}__lt": end})
    if "kind" in filters:
        qs = qs.filter(category__kind=filters["kind"])
    if "group" in filters:
        qs = qs.filter(category__group=filters["group"])
    if "category_prefix" in filters:
        qs = qs.filter(category__code__startswith=filters["category_prefix"])
    if "state_in" in filters:
        qs = qs.filter(state__in=filters["state_in"])
    if "sla_state" in filters:
        qs = qs.filter(sla_state=filters["sla_state"])
    if "source" in filters:
        qs = qs.filter(source=filters["source"])
    aggregate = spec.get("aggregate", "count")
    if aggregate == "avg_hours":
        rows = list(qs.filter(closed_at__isnull=False).values_list("reported_at", "closed_at")[:100_000])
        if not rows:
            return None
        return round(sum((c - r).total_seconds() for r, c in rows) / len(rows) / 3600, 1)
    if aggregate == "count_distinct":
        return qs.aggregate(n=Count(spec.get("field", "cell"), distinct=True))["n"]
    return qs.count()


def _value(spec: dict, unit: OrgUnit, period: str, start: dt.datetime, end: dt.datetime) -> Any:
    source = spec.get("source")
    aggregate = spec.get("aggregate", "count")
    if source == "incidents":
        return _incident_value(spec, unit, start, end)
    if source == "patrols":
        qs = Patrol.objects.filter(subtree_q(unit.path, "org_unit__path"), at__gte=start, at__lt=end)
        if aggregate == "count_distinct":
            return qs.aggregate(n=Count(spec.get("field", "worker"), distinct=True))["n"]
        if aggregate == "sum":
            return qs.aggregate(n=Sum(spec.get("field", "hazards_found")))["n"] or 0
        return qs.count()
    if source == "persons":
        return registry_selectors.persons_alive_count(org_path=unit.path)
    if source == "legal_entities":
        if unit.level == "county":
            return registry_selectors.legal_entities_active_count(county_code=unit.code[:6])
        return registry_selectors.legal_entities_active_count(org_path=unit.path)
    if source == "grid_workers":
        return (
            GridAssignment.objects.filter(subtree_q(unit.path, "cell__org_unit__path"))
            .values("worker")
            .distinct()
            .count()
        )
    if source == "cells":
        return GridCell.objects.filter(subtree_q(unit.path, "org_unit__path")).count()
    return None


def fact_lookup(unit: OrgUnit, key: str, period: str) -> str | None:
    rows = dict(
        ManualFact.objects.filter(org_unit=unit, key=key, period__in=[period, ""]).values_list(
            "period", "value"
        )
    )
    return rows.get(period, rows.get(""))


@transaction.atomic
def report_produce(*, actor: Any, template: ReportTemplate, org_unit: OrgUnit, period: str) -> ReportRun:
    """Compute every field for a unit and a month; manual fields come from the facts entered."""
    if actor is not None:
        ensure_can(actor, "grid.reports", org_unit)
    start, end = period_bounds(period)
    values: dict[str, Any] = {}
    missing: list[str] = []
    for spec in template.fields:
        if spec.get("source") == "manual":
            value = fact_lookup(org_unit, spec["key"], period)
            if value is None:
                missing.append(spec["key"])
            values[spec["key"]] = value
        else:
            values[spec["key"]] = _value(spec, org_unit, period, start, end)
    run, _created = ReportRun.objects.update_or_create(
        template=template,
        org_unit=org_unit,
        period=period,
        defaults={"values": values, "missing": missing, "produced_at": timezone.now()},
    )
    audit.record(
        actor=actor,
        action="grid.report.produce",
        target=run,
        org_unit=org_unit,
        target_label=f"{template.code} {org_unit.code} {period}",
        after={"fields": len(values), "missing": len(missing)},
    )
    return run


@transaction.atomic
def fact_enter(
    *, actor: Any, org_unit: OrgUnit, key: str, period: str, value: str, standing: bool = False
) -> ManualFact:
    """Enter one manual figure once; every template asking for ``key`` reuses it, and the
    reports of that unit and month are produced again."""
    ensure_can(actor, "grid.reports", org_unit)
    manual_keys = {
        f["key"] for t in ReportTemplate.objects.all() for f in t.fields if f.get("source") == "manual"
    }
    if key not in manual_keys:
        raise ValidationError.for_field("key", _("no report asks for “%s”") % key)
    value = (value or "").strip()
    if not value or len(value) > 200:
        raise ValidationError.for_field(key, _("enter a value (at most 200 characters)"))
    if not standing:
        period_bounds(period)
    fact, _created = ManualFact.objects.update_or_create(
        org_unit=org_unit,
        key=key,
        period="" if standing else period,
        defaults={"value": value, "entered_by": actor},
    )
    audit.record(
        actor=actor,
        action="grid.fact.enter",
        target=fact,
        org_unit=org_unit,
        target_label=key,
        after={"key": key, "period": fact.period},
    )
    for template in ReportTemplate.objects.all():
        if any(f.get("key") == key for f in template.fields):
            report_produce(actor=None, template=template, org_unit=org_unit, period=period)
    return fact


def produce_due(*, today: dt.date | None = None) -> int:
    """Produce every template for every township with grid cells, this month and last month."""
    today = today or timezone.localdate()
    this = today.strftime("%Y-%m")
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    township_codes = {
        path.strip("/").split("/")[-3]
        for path in GridCell.objects.values_list("org_unit__path", flat=True)
        if path.count("/") >= 3
    }
    units = list(account_selectors.org_units_with_codes(sorted(township_codes)))
    count = 0
    for template in ReportTemplate.objects.all():
        for unit in units:
            for period in (last, this):
                report_produce(actor=None, template=template, org_unit=unit, period=period)
                count += 1
    return count


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (= + - @ at the start of text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def _rows(run: ReportRun, english: bool) -> list[tuple[str, Any, str]]:
    rows = []
    for spec in run.template.fields:
        label = spec.get("label_en") if english and spec.get("label_en") else spec["label"]
        origin = _("entered") if spec.get("source") == "manual" else _("from data")
        rows.append((label, _safe(run.values.get(spec["key"])), origin))
    return rows


def export_csv(run: ReportRun, *, english: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([_("Report"), run.template.name, _("Unit"), run.org_unit.name, _("Period"), run.period])
    writer.writerow([_("Field"), _("Value"), _("Origin")])
    writer.writerows(_rows(run, english))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(run: ReportRun, *, english: bool = False) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = run.period
    ws.append([_("Report"), run.template.name, _("Unit"), run.org_unit.name, _("Period"), run.period])
    ws.append([_("Field"), _("Value"), _("Origin")])
    for row in _rows(run, english):
        ws.append(list(row))
    ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def field_origin_counts(template: ReportTemplate) -> dict[str, int]:
    return {
        "data": template.data_field_count,
        "manual": template.manual_field_count,
        "all": len(template.fields),
    }
