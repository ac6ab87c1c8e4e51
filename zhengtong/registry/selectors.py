"""Reads of the base registries, always scoped by the actor's grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.registry.models import (
    CORRECTABLE_ENTITY_FIELDS,
    CORRECTABLE_PERSON_FIELDS,
    CorrectionRequest,
    LegalEntity,
    Licence,
    LicenceType,
    Person,
)


def persons_for(actor: Any, *, q: str = "") -> QuerySet[Person]:
    """Persons the actor may look up (registry.view), optionally filtered.

    ``q`` matches a full resident ID exactly or a name prefix: no fuzzy search over identifiers.
    """
    ensure_authenticated(actor)
    qs = Person.objects.filter(scope_q(actor, "registry.view")).select_related("org_unit")
    q = (q or "").strip()
    if q:
        qs = qs.filter(resident_id=q.upper()) if len(q) == 18 else qs.filter(name__startswith=q)
    return qs


def person_get_for(actor: Any, pk: int) -> Person:
    person = persons_for(actor).filter(pk=pk).first()
    if person is None:
        raise NotFound(_("no person record %s in your scope") % pk)
    return person


def legal_entities_for(actor: Any, *, q: str = "") -> QuerySet[LegalEntity]:
    ensure_authenticated(actor)
    qs = LegalEntity.objects.filter(scope_q(actor, "registry.view")).select_related("org_unit")
    q = (q or "").strip()
    if q:
        qs = qs.filter(uscc=q.upper()) if len(q) == 18 and q.isalnum() else qs.filter(name__contains=q)
    return qs


def legal_entity_get_for(actor: Any, pk: int) -> LegalEntity:
    entity = legal_entities_for(actor).filter(pk=pk).first()
    if entity is None:
        raise NotFound(_("no legal-entity record %s in your scope") % pk)
    return entity


def licences_for(
    actor: Any,
    *,
    holder_person: Person | None = None,
    holder_entity: LegalEntity | None = None,
    q: str = "",
) -> QuerySet[Licence]:
    """E-licences in the actor's scope; a grant limited to a department sees that department's
    licences only. ``q`` matches a licence number exactly."""
    ensure_authenticated(actor)
    scope = scope_q(actor, "registry.view", department_field="issuing_department")
    qs = Licence.objects.filter(scope).select_related(
        "licence_type", "issuing_department", "org_unit", "holder_person", "holder_entity"
    )
    if holder_person is not None:
        qs = qs.filter(holder_person=holder_person)
    if holder_entity is not None:
        qs = qs.filter(holder_entity=holder_entity)
    q = (q or "").strip()
    if q:
        qs = qs.filter(number=q.upper() if len(q) == 18 else q)
    return qs


def licence_get_for(actor: Any, pk: int) -> Licence:
    licence = licences_for(actor).filter(pk=pk).first()
    if licence is None:
        raise NotFound(_("no e-licence %s in your scope") % pk)
    return licence


def my_person(actor: Any) -> Person | None:
    """The verified citizen's own registry record."""
    if not getattr(actor, "is_real_name", False) or not actor.resident_id:
        return None
    return Person.objects.filter(resident_id=actor.resident_id).select_related("org_unit").first()


def my_legal_entity(actor: Any) -> LegalEntity | None:
    if not getattr(actor, "uscc", ""):
        return None
    return LegalEntity.objects.filter(uscc=actor.uscc).select_related("org_unit").first()


def my_licences(actor: Any) -> QuerySet[Licence]:
    """E-licences held by the actor (as a person) or by the entity they act for."""
    person, entity = my_person(actor), my_legal_entity(actor)
    cond = Q(pk__in=[])
    if person:
        cond |= Q(holder_person=person)
    if entity:
        cond |= Q(holder_entity=entity)
    return Licence.objects.filter(cond).select_related("licence_type", "issuing_department")


def corrections_for(actor: Any, *, state: str = "") -> QuerySet[CorrectionRequest]:
    """Correction requests a handler may act on, or a citizen's own."""
    ensure_authenticated(actor)
    cond = scope_q(actor, "registry.handle_correction") | Q(submitted_by=actor)
    qs = CorrectionRequest.objects.filter(cond).select_related(
        "org_unit", "person", "legal_entity", "submitted_by"
    )
    if state:
        qs = qs.filter(state=state)
    return qs


def correction_get_for(actor: Any, pk: int) -> CorrectionRequest:
    obj = corrections_for(actor).filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("no correction request %s in your scope") % pk)
    return obj


# --- for the portal ---------------------------------------------------------------------------


def registry_totals() -> dict[str, int]:
    """Installation-wide counts of the base registries (public figures, no personal data)."""
    return {
        "persons": Person.objects.count(),
        "legal_entities": LegalEntity.objects.count(),
        "licences": Licence.objects.count(),
    }


def registry_counts_for(actor: Any) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Counts of the registry records in ``actor``'s scope, and persons per org unit (top 15) for
    the console's chart."""
    persons = Person.objects.filter(scope_q(actor, "registry.view"))
    counts = {
        "persons": persons.count(),
        "legal_entities": LegalEntity.objects.filter(scope_q(actor, "registry.view")).count(),
        "licences": Licence.objects.filter(scope_q(actor, "registry.view")).count(),
    }
    chart = [
        {"name": row["org_unit__name"], "value": row["n"]}
        for row in persons.values("org_unit__name").annotate(n=Count("id")).order_by("-n")[:15]
    ]
    return counts, chart


def correction_counts_for(actor: Any) -> QuerySet:
    """Correction requests in ``actor``'s scope counted by SLA state (rows of sla_state, n)."""
    return (
        CorrectionRequest.objects.filter(scope_q(actor, "registry.handle_correction"))
        .values("sla_state")
        .annotate(n=Count("id"))
        .order_by("sla_state")
    )


def my_corrections(actor: Any, *, limit: int = 20) -> QuerySet[CorrectionRequest]:
    """The correction requests ``actor`` submitted, newest first."""
    return CorrectionRequest.objects.filter(submitted_by=actor).select_related("org_unit")[:limit]


def correctable_fields(*, entity: bool) -> list[tuple[str, str]]:
    """(field, label) pairs a citizen (a person's record) or an enterprise (a legal entity's
    record) may ask to correct."""
    model, fields = (
        (LegalEntity, CORRECTABLE_ENTITY_FIELDS) if entity else (Person, CORRECTABLE_PERSON_FIELDS)
    )
    return [(f, model._meta.get_field(f).verbose_name) for f in fields]


# --- For the services module's demo (added by p2services) ----------------------------------


def licence_types_by_code() -> dict[str, LicenceType]:
    """Every e-licence type, by code (not scoped: the types are public reference data)."""
    return {lt.code: lt for lt in LicenceType.objects.order_by("code")}
