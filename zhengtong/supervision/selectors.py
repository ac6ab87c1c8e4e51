"""Reads of the supervision module: staff reads scoped by supervision.view; public reads give
only what is published (公示), desensitized."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can, ensure_authenticated, scope_q
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.credit import selectors as credit_selectors
from zhengtong.grid import selectors as grid_selectors
from zhengtong.privacy.desensitize import apply_value
from zhengtong.registry import selectors as registry_selectors
from zhengtong.services import selectors as service_selectors
from zhengtong.sharing import selectors as sharing_selectors
from zhengtong.supervision.models import (
    Inspection,
    InspectionPhoto,
    InspectionPlan,
    Officer,
    PartyKind,
    PenaltyCase,
    Platform,
    PlatformReport,
    SupervisionAlert,
    SupervisionItem,
)
from zhengtong.workorders import selectors as workorder_selectors

NAME_POLICY = {"op": "mask", "keep_first": 1}
ID_POLICY = {"op": "mask", "keep_first": 4, "keep_last": 4}
PUBLIC_PLAN_STATES = ("committed", "drawn", "closed")
PAGE_SIZE = 20  # rows per section and page of the master record


def items_for(actor: Any) -> QuerySet[SupervisionItem]:
    ensure_authenticated(actor)
    return SupervisionItem.objects.filter(scope_q(actor, "supervision.view")).select_related("department")


def items_public() -> QuerySet[SupervisionItem]:
    """The supervision catalogue is public (监管事项目录清单)."""
    return SupervisionItem.objects.filter(active=True).select_related("department", "org_unit")


def officers_for(actor: Any) -> QuerySet[Officer]:
    ensure_authenticated(actor)
    return Officer.objects.filter(scope_q(actor, "supervision.view")).select_related("department")


def officer_of(user: Any) -> Officer | None:
    return Officer.objects.filter(user_id=getattr(user, "pk", None)).first()


def plans_for(actor: Any) -> QuerySet[InspectionPlan]:
    ensure_authenticated(actor)
    return (
        InspectionPlan.objects.filter(scope_q(actor, "supervision.view"))
        .select_related("department", "org_unit")
        .annotate(n_inspections=Count("inspections"))
    )


def plan_get_for(actor: Any, number: str) -> InspectionPlan:
    plan = plans_for(actor).filter(number=number).first()
    if plan is None:
        raise NotFound(_("no such plan"))
    return plan


def plans_public() -> QuerySet[InspectionPlan]:
    return InspectionPlan.objects.filter(state__in=PUBLIC_PLAN_STATES).select_related(
        "department", "org_unit"
    )


def plan_public(number: str) -> InspectionPlan:
    plan = plans_public().filter(number=number).first()
    if plan is None:
        raise NotFound(_("no such plan"))
    return plan


def plan_inspections(plan: InspectionPlan) -> QuerySet[Inspection]:
    return (
        plan.inspections.select_related("entity")
        .prefetch_related("inspectors__department__org_unit")
        .order_by("stratum", "rank")
    )


def published_draw(plan: InspectionPlan) -> dict:
    """Everything the public needs to recompute the draw (seed only once drawn)."""
    drawn = plan.state in ("drawn", "closed")
    out = {
        "number": plan.number,
        "title": plan.title,
        "state": plan.state,
        "algorithm": "HMAC-SHA256(key=seed, msg=credit code) ascending per stratum; inspectors "
        "HMAC-SHA256(key=seed, msg=credit code + '/' + officer number) per department",
        "population_size": plan.population_size,
        "population_hash": plan.population_hash,
        "officers_hash": plan.officers_hash,
        "seed_commitment": plan.seed_commitment,
        "seed": plan.seed if drawn else None,
        "permille": {
            s: plan.permille.get(s, credit_selectors.inspection_permille("" if s == "U" else s))
            for s in ("A", "B", "C", "D", "U")
        },
        "inspectors_per_department": plan.inspectors_per_department,
        "officers": {},
        "targets": [],
    }
    officers_file = Path(settings.VAR_DIR) / "supervision" / "plans" / plan.number / "officers.csv"
    if plan.officers_hash and officers_file.exists():
        for line in officers_file.read_text("utf-8").splitlines():
            dept, number = line.split(",", 1)
            out["officers"].setdefault(dept, []).append(number)
    if drawn:
        for i in plan_inspections(plan):
            out["targets"].append(
                {
                    "stratum": i.stratum,
                    "rank": i.rank,
                    "uscc": i.entity.uscc,
                    "hmac": i.draw_hmac,
                    "inspectors": {
                        key: sorted(o.number for o in i.inspectors.all() if dept_key(o.department) == key)
                        for key in sorted(out["officers"])
                    },
                    "excluded": i.exclusions,
                }
            )
    return out


def dept_key(department: Any) -> str:
    return f"{department.org_unit.code}-{department.code}"


def my_inspections(actor: Any) -> QuerySet[Inspection]:
    ensure_authenticated(actor)
    return (
        Inspection.objects.filter(inspectors__user_id=actor.pk)
        .select_related("entity", "plan")
        .order_by("state", "-id")
    )


def inspection_get_for(actor: Any, pk: int) -> Inspection:
    ensure_authenticated(actor)
    inspection = (
        Inspection.objects.filter(pk=pk).select_related("entity", "plan", "org_unit", "department").first()
    )
    if inspection is None:
        raise NotFound(_("no such inspection"))
    if inspection.inspectors.filter(user_id=actor.pk).exists() or can(
        actor, "supervision.view", inspection.org_unit
    ):
        return inspection
    raise NotFound(_("no such inspection"))


def penalties_for(actor: Any, *, state: str = "") -> QuerySet[PenaltyCase]:
    ensure_authenticated(actor)
    qs = PenaltyCase.objects.filter(
        scope_q(actor, "supervision.view", department_field="department")
    ).select_related("department", "entity")
    return qs.filter(state=state) if state else qs


def penalty_get_for(actor: Any, pk: int) -> PenaltyCase:
    case = penalties_for(actor).filter(pk=pk).first()
    if case is None:
        raise NotFound(_("no such penalty case"))
    return case


def _publicity_qs() -> QuerySet[PenaltyCase]:
    today = timezone.localdate()
    return PenaltyCase.objects.filter(
        decided_on__isnull=False,
        publicity_until__gte=today,
        publicity_removed_at__isnull=True,
        state__in=("decided", "served", "executing", "closed"),
    ).select_related("department", "entity")


def desensitized_party(case: PenaltyCase) -> tuple[str, str]:
    """(name, identifier) as published: an entity by name and credit code; an individual's name
    and ID number masked (privacy.desensitize)."""
    if case.party_kind == PartyKind.ENTITY:
        return case.party_name, case.entity.uscc if case.entity_id else ""
    return apply_value(case.party_name, NAME_POLICY), apply_value(case.party_id_number, ID_POLICY)


def penalty_decisions_for_publicity(*, entity: Any = None) -> list[dict]:
    """Penalty decisions in their publicity period (双公示), desensitized for individuals;
    repaired ones (credit repair) and removed ones are left out. For open government."""
    qs = _publicity_qs()
    if entity is not None:
        qs = qs.filter(entity=entity)
    cases = list(qs.order_by("-decided_on", "-id")[:1000])
    repaired = credit_selectors.repaired_source_refs([f"penalty:{c.pk}" for c in cases])
    return [_publicity_row(case) for case in cases if f"penalty:{case.pk}" not in repaired]


def _publicity_row(case: PenaltyCase) -> dict:
    name, identifier = desensitized_party(case)
    return {
        "decision_no": case.decision_no,
        "party_kind": case.party_kind,
        "party_name": name,
        "party_identifier": identifier,
        "penalty_kind": case.penalty_kind,
        "penalty_label": case.get_penalty_kind_display(),
        "fine_fen": case.fine_fen,
        "legal_basis": case.legal_basis,
        "department": case.department.name,
        "decided_on": case.decided_on,
        "publicity_until": case.publicity_until,
    }


def inspections_of_entity(entity: Any, *, published_only: bool) -> QuerySet[Inspection]:
    qs = Inspection.objects.filter(entity=entity).select_related("plan", "department")
    if published_only:
        qs = qs.filter(state="published", publicity_removed_at__isnull=True)
    return qs.order_by("-id")


def penalties_of_entity(actor: Any, entity: Any) -> QuerySet[PenaltyCase]:
    return penalties_for(actor).filter(Q(entity=entity)).order_by("-id")


# The sections of the master record, in page order; the public sees the first four.
RECORD_SECTIONS = (
    "licences",
    "inspections",
    "publicity",
    "events",
    "penalties",
    "work_orders",
    "incidents",
    "cases",
    "exchanges",
)
PUBLIC_SECTIONS = ("licences", "inspections", "publicity")


def _publicity_page(entity: Any, offset: int, limit: int) -> tuple[list[dict], int]:
    qs = _publicity_qs().filter(entity=entity).exclude(pk__in=credit_selectors.repaired_penalty_ids(entity))
    rows = [_publicity_row(c) for c in qs.order_by("-decided_on", "-id")[offset : offset + limit]]
    return rows, qs.count()


def entity_record(actor: Any, uscc: str, *, public: bool, section: str = "", page: int = 1) -> dict:
    """一户一档: what the platform knows about one entity. Staff (supervision.view at the entity's
    unit) see everything in their scope; the public sees the published part, desensitized (the
    legal representative's name masked, no ID number, only inspection results and penalty
    decisions in publicity, no work orders).

    Each section holds at most ``PAGE_SIZE`` rows, newest first, with its total in
    ``counts``; ``section`` and ``page`` ask for a later page of one section. Every section is
    one query for its rows and one for its count, and reads only the columns shown, so the
    page's cost and query count do not grow with the entity's history."""
    entity = credit_selectors.entity_by_uscc(uscc)
    staff = not public and can(actor, "supervision.view", entity.org_unit)
    if not public and not staff:
        raise NotFound(_("no entity with that credit code"))
    sections = RECORD_SECTIONS if staff else PUBLIC_SECTIONS
    if section and section not in sections:
        raise ValidationError.for_field("section", _("must be one of %s") % ", ".join(sections))
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 10_000:
        raise ValidationError.for_field("page", _("must be a whole number from 1 to 10000"))
    pages = {name: (page if name == section else 1) for name in sections}

    def window(name: str) -> tuple[int, int]:
        return (pages[name] - 1) * PAGE_SIZE, PAGE_SIZE

    score = credit_selectors.score_of(entity)
    record: dict[str, Any] = {
        "entity": entity,
        "legal_representative": entity.legal_representative
        if staff
        else apply_value(entity.legal_representative, NAME_POLICY),
        "credit": score,
        "factors": credit_selectors.explained_factors(score),
        "measures": credit_selectors.measures_for(entity.uscc),
        "staff": staff,
        "page_size": PAGE_SIZE,
        "pages": pages,
        "counts": {},
        **{name: [] for name in RECORD_SECTIONS},
    }
    counts = record["counts"]

    def take(name: str, qs: QuerySet) -> None:
        offset, limit = window(name)
        record[name] = list(qs[offset : offset + limit])
        counts[name] = qs.count()

    take(
        "licences",
        registry_selectors.licences_of_entity(entity).only(
            "id", "number", "state", "licence_type__name", "issuing_department__name"
        ),
    )
    take(
        "inspections",
        inspections_of_entity(entity, published_only=not staff).only(
            "id", "state", "result", "inspected_on", "publicity_removed_at", "plan__number", "plan__title",
            "department__name",
        ),
    )  # fmt: skip
    offset, limit = window("publicity")
    record["publicity"], counts["publicity"] = _publicity_page(entity, offset, limit)
    if not staff:
        return record
    take(
        "events",
        credit_selectors.events_of(entity).only("id", "occurred_on", "kind", "summary", "repaired_at"),
    )
    take(
        "penalties",
        penalties_of_entity(actor, entity)
        .select_related(None)
        .only("id", "number", "state", "party_name", "decision_no"),
    )
    # Work orders opened by the entity's inspections (their source_ref), as a subquery.
    refs = (
        Inspection.objects.filter(entity=entity)
        .annotate(ref=Concat(Value("inspection:"), Cast("pk", CharField())))
        .values("ref")
    )
    take(
        "work_orders",
        workorder_selectors.worklist(actor).filter(source_ref__in=refs).order_by("-id"),
    )
    # What the other modules know about the entity, through their trusted selectors (one query
    # for the rows and one for the count each).
    offset, limit = window("incidents")
    record["incidents"] = grid_selectors.incidents_about_entity(entity.uscc, limit=limit, offset=offset)
    counts["incidents"] = grid_selectors.incidents_about_entity_count(entity.uscc)
    offset, limit = window("cases")
    numbers = service_selectors.case_numbers_of_entity(entity)
    record["cases"] = service_selectors.cases_of_entity(entity, limit=limit, offset=offset)
    counts["cases"] = numbers.count()
    offset, limit = window("exchanges")
    record["exchanges"] = sharing_selectors.exchanges_for_cases(numbers, limit=limit, offset=offset)
    counts["exchanges"] = sharing_selectors.exchanges_for_cases_count(numbers)
    return record


def published_photo(pk: int) -> InspectionPhoto | None:
    return InspectionPhoto.objects.filter(
        pk=pk, inspection__state="published", inspection__publicity_removed_at__isnull=True
    ).first()


def alerts_for(actor: Any) -> QuerySet[SupervisionAlert]:
    """Platform-report alerts in the actor's supervision scope, newest first."""
    ensure_authenticated(actor)
    return (
        SupervisionAlert.objects.filter(scope_q(actor, "supervision.view"))
        .select_related("platform__entity", "report")
        .order_by("-id")
    )


def alert_get_for(actor: Any, pk: Any) -> SupervisionAlert:
    """One alert in the actor's supervision scope (404 otherwise)."""
    alert = alerts_for(actor).filter(pk=int(pk)).first() if str(pk).isdigit() else None
    if alert is None:
        raise NotFound(_("no such alert"))
    return alert


def _months_back(today: dt.date, months: int) -> list[str]:
    """The last ``months`` finished months before ``today``, oldest first, as YYYY-MM."""
    out, year, month = [], today.year, today.month
    for _n in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


def platforms_overview(actor: Any, *, report_types: dict, due: Any, months: int = 6) -> list[dict]:
    """The reporting platforms in the actor's supervision scope with, per report type of their
    kind, the last ``months`` periods: received (rows, unlicensed, complaints), missing and
    overdue (past ``due(period)``), or not due yet; completeness (received of expected, counting
    the months since registration) and their alerts. Three queries whatever the number of
    platforms and reports."""
    ensure_authenticated(actor)
    today = timezone.localdate()
    platforms = list(
        Platform.objects.filter(scope_q(actor, "supervision.view"))
        .select_related("entity", "department")
        .order_by("entity__name")[:200]
    )
    periods = _months_back(today, months)
    reports: dict[tuple[int, str, str], PlatformReport] = {
        (r.platform_id, r.report_type, r.period): r
        for r in PlatformReport.objects.filter(platform__in=platforms, period__gte=periods[0])
    }
    alerts: dict[int, list[SupervisionAlert]] = {}
    for a in (
        SupervisionAlert.objects.filter(platform__in=platforms)
        .select_related("report", "plan")
        .order_by("-id")[:500]
    ):
        alerts.setdefault(a.platform_id, []).append(a)
    out = []
    for p in platforms:
        registered = timezone.localtime(p.registered_at).strftime("%Y-%m")
        types = []
        for code, (kind, _fields) in report_types.items():
            if kind != p.kind:
                continue
            rows, expected, received = [], 0, 0
            for period in periods:
                report = reports.get((p.pk, code, period))
                deadline = due(period)
                # A report counts even for a month before registration (a platform registered
                # this month reports last month's orders).
                if report is not None:
                    status = "received"
                elif period < registered:
                    status = "before"
                elif deadline < today:
                    status = "overdue"
                else:
                    status = "open"
                if status in ("received", "overdue"):
                    expected += 1
                received += status == "received"
                rows.append({"period": period, "status": status, "due": deadline, "report": report})
            types.append({"code": code, "periods": rows, "expected": expected, "received": received})
        out.append({"platform": p, "types": types, "alerts": alerts.get(p.pk, [])})
    return out
