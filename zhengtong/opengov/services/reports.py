"""Annual disclosure reports (条例 §49–§50), generated from the platform's own records in the
tables the State Council prescribes (国办公开办函〔2021〕30号 format), editable before they are
published; the deadline is 31 January of the following year."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.opengov.errors import OpengovError
from zhengtong.opengov.models import AnnualReport, Category, Document, InfoRequest, Publicity, Validity

# Rows of table 3 (results of requests) and the reply types counted in each.
RESULT_ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("disclosed", "（一）予以公开", ("disclosed", "already_public")),
    ("partly", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("partly",)),
    ("not_disclosable", "（三）不予公开", ("not_disclosable",)),
    ("unable", "（四）无法提供（本机关不掌握相关政府信息）", ("not_held", "referred")),
    ("not_processed", "（五）不予处理（重复申请）", ("repeat",)),
    ("other", "（六）其他处理", ("not_government_info",)),
]
COLUMNS = ("natural_person", "legal_person", "total")


def deadline_for(year: int) -> dt.date:
    """An annual report on ``year`` is published by 31 January of the next year."""
    return dt.date(year + 1, 1, 31)


def _row(counts: dict[str, int], natural: str, legal: str) -> dict[str, int]:
    n, lp = counts.get(natural, 0), counts.get(legal, 0)
    return {"natural_person": n, "legal_person": lp, "total": n + lp}


def generate_tables(department: Any, year: int) -> dict:
    """The prescribed tables for ``department`` and ``year``, counted in a few aggregate queries."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    # Instants, not ``__date`` lookups: a date cast per row (a function call per row on SQLite)
    # would cost more than the counting itself.
    t0 = timezone.make_aware(dt.datetime(year, 1, 1))
    t1 = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    docs = Document.objects.filter(department=department, source_request__isnull=True)
    normative = docs.filter(category=Category.POLICY)
    table2 = {
        "normative_issued": normative.filter(published_on__gte=start, published_on__lt=end).count(),
        "normative_repealed": normative.filter(
            validity__in=[Validity.REPEALED, Validity.EXPIRED, Validity.REPLACED],
            status_changed_on__gte=start,
            status_changed_on__lt=end,
        ).count(),
        "normative_in_force": normative.filter(validity=Validity.VALID, published_on__lt=end).count(),
        "documents_published": docs.filter(published_on__gte=start, published_on__lt=end).count(),
        "licensing_decisions": Publicity.objects.filter(
            department=department, kind="licensing", decided_on__gte=start, decided_on__lt=end
        ).count(),
        "penalty_decisions": Publicity.objects.filter(
            department=department, kind="penalty", decided_on__gte=start, decided_on__lt=end
        ).count(),
    }
    requests = InfoRequest.objects.filter(department=department)
    individual = Q(requester__kind="citizen")
    agg = requests.aggregate(
        new_natural=Count("id", filter=Q(created_at__gte=t0, created_at__lt=t1) & individual),
        new_legal=Count("id", filter=Q(created_at__gte=t0, created_at__lt=t1) & ~individual),
        carried_natural=Count(
            "id",
            filter=Q(created_at__lt=t0)
            & (Q(replied_at__isnull=True) | Q(replied_at__gte=t0))
            & ~Q(state="withdrawn")
            & individual,
        ),
        carried_legal=Count(
            "id",
            filter=Q(created_at__lt=t0)
            & (Q(replied_at__isnull=True) | Q(replied_at__gte=t0))
            & ~Q(state="withdrawn")
            & ~individual,
        ),
        open_natural=Count(
            "id",
            filter=Q(created_at__lt=t1)
            & (Q(replied_at__isnull=True) | Q(replied_at__gte=t1))
            & ~Q(state="withdrawn")
            & individual,
        ),
        open_legal=Count(
            "id",
            filter=Q(created_at__lt=t1)
            & (Q(replied_at__isnull=True) | Q(replied_at__gte=t1))
            & ~Q(state="withdrawn")
            & ~individual,
        ),
        late=Count("id", filter=Q(replied_at__gte=t0, replied_at__lt=t1, replied_late=True)),
        extended=Count("id", filter=Q(extended_on__gte=start, extended_on__lt=end)),
    )
    by_type = (
        requests.filter(replied_at__gte=t0, replied_at__lt=t1)
        .values("reply_type", "requester__kind")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[str, str], int] = {}
    for row in by_type:
        kind = "natural_person" if row["requester__kind"] == "citizen" else "legal_person"
        counts[(row["reply_type"], kind)] = counts.get((row["reply_type"], kind), 0) + row["n"]
    results = []
    totals = dict.fromkeys(COLUMNS, 0)
    for key, label, types in RESULT_ROWS:
        n = sum(counts.get((t, "natural_person"), 0) for t in types)
        lp = sum(counts.get((t, "legal_person"), 0) for t in types)
        results.append({"key": key, "label": label, "natural_person": n, "legal_person": lp, "total": n + lp})
        totals["natural_person"] += n
        totals["legal_person"] += lp
        totals["total"] += n + lp
    results.append({"key": "total", "label": "（七）总计", **totals})
    reviews = requests.filter(review_requested_at__gte=t0, review_requested_at__lt=t1)
    review_agg = reviews.aggregate(
        upheld=Count("id", filter=Q(review_outcome="upheld")),
        corrected=Count("id", filter=Q(review_outcome__in=["corrected", "revoked"])),
        other=Count("id", filter=Q(review_outcome="other")),
        pending=Count("id", filter=Q(review_outcome="")),
        total=Count("id"),
    )
    return {
        "year": year,
        "proactive": table2,
        "received": {
            "new": {
                "natural_person": agg["new_natural"],
                "legal_person": agg["new_legal"],
                "total": agg["new_natural"] + agg["new_legal"],
            },
            "carried_over": {
                "natural_person": agg["carried_natural"],
                "legal_person": agg["carried_legal"],
                "total": agg["carried_natural"] + agg["carried_legal"],
            },
        },
        "results": results,
        "carried_forward": {
            "natural_person": agg["open_natural"],
            "legal_person": agg["open_legal"],
            "total": agg["open_natural"] + agg["open_legal"],
        },
        "replied_late": agg["late"],
        "extended": agg["extended"],
        "reviews": review_agg,
    }


@transaction.atomic
def report_generate(*, actor: Any, department: Any, year: int) -> AnnualReport:
    """Generate (or regenerate, while unpublished) ``department``'s report on ``year``."""
    ensure_can(actor, "opengov.publish", department.org_unit, department)
    if not isinstance(year, int) or not 2008 <= year <= timezone.localdate().year:
        raise ValidationError.for_field("year", _("must be a past or the current year"))
    report = AnnualReport.objects.filter(department=department, year=year).first()
    if report is not None and report.published_at is not None:
        raise Conflict(_("the report is published and can no longer change"), code=OpengovError.PUBLISHED)
    tables = generate_tables(department, year)
    if report is None:
        report = AnnualReport.objects.create(
            department=department,
            org_unit=department.org_unit,
            year=year,
            tables=tables,
            generated_at=timezone.now(),
        )
    else:
        report.tables = tables
        report.generated_at = timezone.now()
        report.save(update_fields=["tables", "generated_at", "updated_at"])
    audit.record(actor=actor, action="opengov.report.generate", target=report, after={"year": year})
    return report


@transaction.atomic
def report_edit(*, actor: Any, report: AnnualReport, overview: str, problems: str) -> AnnualReport:
    """Edit the report's narrative sections (一、总体情况; 五、存在的主要问题及改进情况)."""
    ensure_can(actor, "opengov.publish", report.org_unit, report.department)
    if report.published_at is not None:
        raise Conflict(_("the report is published and can no longer change"), code=OpengovError.PUBLISHED)
    for field, value in (("overview", overview), ("problems", problems)):
        if not isinstance(value, str) or len(value) > 20_000:
            raise ValidationError.for_field(field, _("at most %d characters") % 20_000)
    report.overview, report.problems = overview.strip(), problems.strip()
    report.save(update_fields=["overview", "problems", "updated_at"])
    audit.record(actor=actor, action="opengov.report.edit", target=report)
    return report


@transaction.atomic
def report_publish(*, actor: Any, report: AnnualReport) -> AnnualReport:
    """Publish the report; its overview is required. Late publication (after 31 January) is
    allowed but recorded as late."""
    ensure_can(actor, "opengov.publish", report.org_unit, report.department)
    if report.published_at is not None:
        raise Conflict(_("the report is already published"), code=OpengovError.PUBLISHED)
    if not report.overview.strip():
        raise ValidationError.for_field("overview", _("is required before publication"))
    report.published_at = timezone.now()
    report.save(update_fields=["published_at", "updated_at"])
    late = timezone.localdate() > deadline_for(report.year)
    audit.record(actor=actor, action="opengov.report.publish", target=report, after={"late": late})
    return report
