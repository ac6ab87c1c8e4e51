"""Reads of the supervision module: staff reads scoped by supervision.view; public reads give
only what is published (公示), desensitized."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can, ensure_authenticated, scope_q
from zhengtong.core.errors import NotFound
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
    SupervisionAlert,
    SupervisionItem,
)
from zhengtong.workorders import selectors as workorder_selectors

NAME_POLICY = {"op": "mask", "keep_first": 1}
ID_POLICY = {"op": "mask", "keep_first": 4, "keep_last": 4}
PUBLIC_PLAN_STATES = ("committed", "drawn", "closed")
LIST_LIMIT = 200  # rows per list of the master record


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
    out = []
    for case in cases:
        if f"penalty:{case.pk}" in repaired:
            continue
        name, identifier = desensitized_party(case)
        out.append(
            {
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
        )
    return out


def inspections_of_entity(entity: Any, *, published_only: bool) -> QuerySet[Inspection]:
    qs = Inspection.objects.filter(entity=entity).select_related("plan", "department")
    if published_only:
        qs = qs.filter(state="published")
    return qs.order_by("-id")


def penalties_of_entity(actor: Any, entity: Any) -> QuerySet[PenaltyCase]:
    return penalties_for(actor).filter(Q(entity=entity)).order_by("-id")


def entity_record(actor: Any, uscc: str, *, public: bool) -> dict:
    """一户一档: what the platform knows about one entity. Staff (supervision.view at the entity's
    unit) see everything in their scope; the public sees the published part, desensitized (the
    legal representative's name masked, no ID number, only published inspections and penalties
    in publicity, no work orders)."""
    entity = credit_selectors.entity_by_uscc(uscc)
    staff = not public and can(actor, "supervision.view", entity.org_unit)
    if not public and not staff:
        raise NotFound(_("no entity with that credit code"))
    score = credit_selectors.score_of(entity)
    record: dict[str, Any] = {
        "entity": entity,
        "legal_representative": entity.legal_representative
        if staff
        else apply_value(entity.legal_representative, NAME_POLICY),
        "licences": list(registry_selectors.licences_of_entity(entity)[:200]),
        "inspections": list(inspections_of_entity(entity, published_only=not staff)[:200]),
        "credit": score,
        "factors": credit_selectors.explained_factors(score),
        "measures": credit_selectors.measures_for(entity.uscc),
        "events": list(credit_selectors.events_of(entity)[:200]) if staff else [],
        "penalties": [],
        "publicity": penalty_decisions_for_publicity(entity=entity),
        "work_orders": [],
        "incidents": [],
        "cases": [],
        "exchanges": [],
        "staff": staff,
    }
    if staff:
        record["penalties"] = list(penalties_of_entity(actor, entity)[:200])
        refs = [f"inspection:{i.pk}" for i in record["inspections"]]
        record["work_orders"] = list(
            workorder_selectors.worklist(actor).filter(source_ref__in=refs).order_by("-id")[:200]
        )
        # What the other modules know about the entity, through their public selectors (one
        # query each, so the page's query count does not grow with the records).
        record["incidents"] = grid_selectors.incidents_about_entity(entity.uscc, limit=LIST_LIMIT)
        record["cases"] = service_selectors.cases_of_entity(entity, limit=LIST_LIMIT)
        record["exchanges"] = sharing_selectors.exchanges_for_cases(
            service_selectors.case_numbers_of_entity(entity), limit=LIST_LIMIT
        )
    return record


def published_photo(pk: int) -> InspectionPhoto | None:
    return InspectionPhoto.objects.filter(pk=pk, inspection__state="published").first()


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
