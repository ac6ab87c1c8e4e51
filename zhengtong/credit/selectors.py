"""Reads of the credit module. Scores, grades and list entries are public credit information
(公示); repair requests are the entity's and the credit office's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, QuerySet
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.credit import scoring
from zhengtong.credit.models import (
    CommitmentBreach,
    CreditEvent,
    CreditReport,
    CreditScore,
    ListEntry,
    ListKind,
    RepairRequest,
)
from zhengtong.registry import selectors as registry_selectors


def score_of(entity: Any) -> CreditScore | None:
    return CreditScore.objects.filter(entity=entity).first()


def grades_by_entity_id(entity_ids: list[int] | None = None) -> dict[int, str]:
    """{entity id: grade} (all scored entities when ``entity_ids`` is None); ungraded are absent."""
    qs = CreditScore.objects.all()
    if entity_ids is not None:
        qs = qs.filter(entity_id__in=entity_ids)
    return dict(qs.values_list("entity_id", "grade"))


def grade_counts() -> dict[str, int]:
    """{grade: number of entities} (one grouped query on the grade index)."""
    out = dict.fromkeys("ABCD", 0)
    for grade, n in CreditScore.objects.values_list("grade").annotate(n=Count("id")).order_by():
        out[grade] = n
    return out


def inspection_permille(grade: str) -> int:
    """The share (per mille) of a grade's population a random inspection draws (分级分类监管)."""
    return scoring.INSPECTION_PERMILLE.get(grade or "U", scoring.INSPECTION_PERMILLE["U"])


def explained_factors(score: CreditScore | None) -> list[dict]:
    if score is None:
        return []
    return [{**f, "label": scoring.factor_label(f["code"])} for f in score.factors]


def live_list_entries(entity: Any | None = None, *, kind: str = "") -> QuerySet[ListEntry]:
    today = timezone.localdate()
    qs = ListEntry.objects.filter(removed_at__isnull=True, listed_on__lte=today, until__gte=today)
    if entity is not None:
        qs = qs.filter(entity=entity)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("entity", "department")


def events_of(entity: Any) -> QuerySet[CreditEvent]:
    return CreditEvent.objects.filter(entity=entity).order_by("-occurred_on", "-id")


def repaired_penalty_ids(entity: Any) -> QuerySet:
    """The ids of the entity's penalties whose credit record was repaired (they are no longer
    published), as a lazy query for a subquery: the source refs are ``penalty:<id>``."""
    return (
        CreditEvent.objects.filter(
            entity=entity,
            kind="penalty",
            source_ref__regex=r"^penalty:[0-9]{1,18}$",
            repaired_at__isnull=False,
        )
        .annotate(penalty_id=Cast(Substr("source_ref", 9), IntegerField()))
        .values("penalty_id")
    )


def repaired_source_refs(refs: list[str]) -> set[str]:
    """Of these source refs (e.g. "penalty:12"), those whose record was repaired: a repaired
    penalty is no longer published (supervision's publicity list asks)."""
    return set(
        CreditEvent.objects.filter(source_ref__in=refs, repaired_at__isnull=False).values_list(
            "source_ref", flat=True
        )
    )


@dataclass
class Measures:
    """Joint rewards and punishments (联合奖惩) for an entity, for the module where they bite."""

    uscc: str
    grade: str = ""
    score: int | None = None
    black_listed: bool = False
    red_listed: bool = False
    entries: list[ListEntry] = field(default_factory=list)
    # Unrepaired false commitments (告知承诺制): exclude from 告知承诺 and 容缺受理.
    false_commitments: list[CommitmentBreach] = field(default_factory=list)

    @property
    def bid_eligible(self) -> bool:
        """Serious dishonesty excludes from public procurement and bidding."""
        return not self.black_listed

    @property
    def tolerance_acceptance(self) -> bool:
        """容缺受理: trustworthy entities may be accepted with a minor material missing."""
        return (self.red_listed or self.grade == "A") and not self.black_listed and not self.false_commitments

    @property
    def flagged(self) -> bool:
        return self.black_listed or self.grade == "D" or bool(self.false_commitments)

    @property
    def flags(self) -> list[str]:
        out = []
        if self.black_listed:
            out.append(_("on the serious dishonesty list: examine strictly, not eligible for bidding"))
        elif self.grade == "D":
            out.append(_("credit grade D: examine strictly"))
        if self.false_commitments:
            out.append(_("false commitment on record: no 告知承诺 and no 容缺受理 until repaired"))
        if self.tolerance_acceptance:
            out.append(_("trustworthy: tolerance acceptance (容缺受理) allowed"))
        return out


def measures_for(uscc: str) -> Measures:
    """The joint measures that apply to the entity with this credit code (empty when unknown).
    Three queries; any module may call it (services' acceptance page shows the flags)."""
    measures = Measures(uscc=uscc)
    score = CreditScore.objects.filter(entity__uscc=uscc).only("grade", "score").first()
    if score is not None:
        measures.grade, measures.score = score.grade, score.score
    today = timezone.localdate()
    entries = list(
        ListEntry.objects.filter(
            entity__uscc=uscc, removed_at__isnull=True, listed_on__lte=today, until__gte=today
        ).select_related("department")
    )
    measures.entries = entries
    measures.black_listed = any(e.kind == ListKind.BLACK for e in entries)
    measures.red_listed = any(e.kind == ListKind.RED for e in entries)
    measures.false_commitments = list(
        CommitmentBreach.objects.filter(entity__uscc=uscc, repaired_at__isnull=True)
    )
    return measures


def measures_for_person(resident_id: str) -> Measures:
    """The measures that apply to a person: persons carry no score or list, only unrepaired false
    commitments (one query)."""
    measures = Measures(uscc="")
    if resident_id:
        measures.false_commitments = list(
            CommitmentBreach.objects.filter(person__resident_id=resident_id, repaired_at__isnull=True)
        )
    return measures


def commitment_breaches(*, person: Any = None, entity: Any = None) -> QuerySet[CommitmentBreach]:
    qs = CommitmentBreach.objects.all()
    if person is not None:
        qs = qs.filter(person=person)
    if entity is not None:
        qs = qs.filter(entity=entity)
    return qs


def entity_by_uscc(uscc: str) -> Any:
    entity = registry_selectors.legal_entity_by_uscc(uscc)
    if entity is None:
        raise NotFound(_("no entity with that credit code"))
    return entity


def repairs_for(actor: Any, *, state: str = "") -> QuerySet[RepairRequest]:
    """Repair requests in the actor's credit.repair scope (staff worklist)."""
    ensure_authenticated(actor)
    qs = RepairRequest.objects.filter(scope_q(actor, "credit.repair")).select_related("entity", "event")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-id")


def my_repairs(actor: Any) -> QuerySet[RepairRequest]:
    ensure_authenticated(actor)
    return RepairRequest.objects.filter(applicant=actor).select_related("entity", "event").order_by("-id")


def repair_get_for(actor: Any, pk: int) -> RepairRequest:
    ensure_authenticated(actor)
    request = (
        RepairRequest.objects.filter(pk=pk)
        .select_related("entity", "event", "list_entry", "org_unit")
        .first()
    )
    if request is None:
        raise NotFound(_("no such repair request"))
    if request.applicant_id == actor.pk:
        return request
    if not RepairRequest.objects.filter(scope_q(actor, "credit.repair"), pk=pk).exists():
        raise NotFound(_("no such repair request"))
    return request


def reports_of(entity: Any) -> QuerySet[CreditReport]:
    return CreditReport.objects.filter(entity=entity)


def report_get(pk: int) -> CreditReport:
    """A credit report row (the caller checks who may see it: ``reports.may_see_reports``)."""
    report = CreditReport.objects.filter(pk=pk).select_related("entity", "entity__org_unit").first()
    if report is None:
        raise NotFound(_("no such report"))
    return report


def list_entries_for(actor: Any, *, kind: str = "") -> QuerySet[ListEntry]:
    """Live list entries the actor may manage (credit.manage in scope), for the console."""
    ensure_authenticated(actor)
    return live_list_entries(kind=kind).filter(scope_q(actor, "credit.manage", department_field="department"))


def list_entry_get_for(actor: Any, pk: Any) -> ListEntry:
    entry = list_entries_for(actor).filter(pk=int(pk)).first() if str(pk).isdigit() else None
    if entry is None:
        raise NotFound(_("no such list entry"))
    return entry
