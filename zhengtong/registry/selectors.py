"""Reads of the base registries, always scoped by the actor's grants."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, scope_q, subtree_q
from zhengtong.core.errors import NotFound
from zhengtong.core.prepared import Prepared
from zhengtong.registry.models import (
    CORRECTABLE_ENTITY_FIELDS,
    CORRECTABLE_PERSON_FIELDS,
    CorrectionRequest,
    EntityAuthorization,
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
    """The legal entity the actor is linked to and may act for now (see ``may_act_for``)."""
    return entity_acting_for(actor)


# --- Acting for a legal entity (授权) ---------------------------------------------------------


def is_legal_representative(user: Any, entity: LegalEntity) -> bool:
    """Whether ``user`` is the entity's verified legal representative: a real-name account whose
    resident ID is the one the registry holds for the entity's representative."""
    rid = getattr(user, "resident_id", None) or ""
    return bool(getattr(user, "is_real_name", False) and rid and entity.legal_rep_resident_id == rid)


def live_authorizations() -> QuerySet[EntityAuthorization]:
    """Authorisations not revoked and not expired."""
    return EntityAuthorization.objects.filter(revoked_at__isnull=True, valid_until__gt=timezone.now())


def may_act_for(user: Any, entity: LegalEntity, item_code: str | None = None) -> bool:
    """Whether ``user`` may act for ``entity`` (for the service item ``item_code``; None: for
    anything at all): the entity is active, the user is real-name verified and either is its
    legal representative or holds a live authorisation whose scope covers the item."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_real_name", False):
        return False
    if entity.status != LegalEntity.Status.ACTIVE:
        return False
    if is_legal_representative(user, entity):
        return True
    return any(a.covers(item_code) for a in live_authorizations().filter(grantee=user, entity=entity))


def entity_acting_for(user: Any) -> LegalEntity | None:
    """The legal entity the user is linked to (``User.uscc``) if they may act for it now, else None."""
    uscc = getattr(user, "uscc", "") or ""
    if not uscc:
        return None
    entity = LegalEntity.objects.filter(uscc=uscc).select_related("org_unit").first()
    return entity if entity is not None and may_act_for(user, entity) else None


def linked_legal_entity(user: Any) -> LegalEntity | None:
    """The legal entity the user is linked to, whether or not they may act for it now."""
    uscc = getattr(user, "uscc", "") or ""
    return LegalEntity.objects.filter(uscc=uscc).first() if uscc else None


def entities_represented_by(user: Any) -> QuerySet[LegalEntity]:
    """Active legal entities whose verified legal representative ``user`` is."""
    rid = getattr(user, "resident_id", None) or ""
    if not getattr(user, "is_real_name", False) or not rid:
        return LegalEntity.objects.none()
    return LegalEntity.objects.filter(legal_rep_resident_id=rid, status=LegalEntity.Status.ACTIVE).order_by(
        "id"
    )


def authorizations_granted_for(user: Any) -> QuerySet[EntityAuthorization]:
    """Authorisations of the entities ``user`` represents (newest first), live or not."""
    return EntityAuthorization.objects.filter(entity__in=entities_represented_by(user)).select_related(
        "entity", "grantee"
    )


def authorizations_held_by(user: Any) -> QuerySet[EntityAuthorization]:
    """Authorisations granted to ``user`` (newest first), live or not."""
    if not getattr(user, "is_authenticated", False):
        return EntityAuthorization.objects.none()
    return EntityAuthorization.objects.filter(grantee=user).select_related("entity")


def authorization_of(user: Any, pk: Any) -> EntityAuthorization:
    """One authorisation ``user`` granted (as legal representative) or holds; NotFound otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("no authorisation %s of yours") % str(pk)[:20]) from None
    auth = (authorizations_granted_for(user) | authorizations_held_by(user)).filter(pk=pk).first()
    if auth is None:
        raise NotFound(_("no authorisation %s of yours") % pk)
    return auth


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


# --- Internal reads for other modules (services' e-forms, codes) ---------------------------
# Not scoped by the reader's grants: each answers for one identified person or entity, or
# feeds demo data. Callers decide who may see the result.

HOLDINGS_PERSON_FIELDS = ("name", "resident_id", "sex", "birth_date", "phone", "address", "ethnicity")
HOLDINGS_ENTITY_FIELDS = ("name", "uscc", "legal_representative", "registered_address", "entity_type")
_PERSON_COLUMNS = ("id", "org_unit", *sorted(HOLDINGS_PERSON_FIELDS))
_ENTITY_COLUMNS = ("id", "org_unit", *sorted(HOLDINGS_ENTITY_FIELDS))
_LICENCE_COLUMNS = (
    "id",
    "number",
    "data",
    "state",
    "valid_from",
    "valid_to",
    "licence_type",
    "holder_person",
    "holder_entity",
)
_LICENCE_TYPE_COLUMNS = ("id", "code", "name", "name_en")


@dataclass
class Holdings:
    """What the registries hold about an applicant: their person record, the legal entity they
    act for, and the valid e-licences of both (by licence type code)."""

    person: Person | None = None
    entity: LegalEntity | None = None
    licences: dict[str, Licence] = field(default_factory=dict)


def _held_licences(cond: Q) -> QuerySet[Licence]:
    """The valid e-licences matching ``cond`` with their types and holders (the forms' columns)."""
    return (
        Licence.objects.filter(cond, state="valid")
        .select_related("licence_type", "holder_person", "holder_entity")
        .only(
            *_LICENCE_COLUMNS,
            *(f"licence_type__{f}" for f in _LICENCE_TYPE_COLUMNS),
            *(f"holder_person__{f}" for f in _PERSON_COLUMNS),
            *(f"holder_entity__{f}" for f in _ENTITY_COLUMNS),
        )
        .order_by("id")
    )


# A citizen's holdings, read by every application: compiled once per connection (core.prepared).
_HELD_BY_PERSON = Prepared(lambda rid: _held_licences(Q(holder_person__resident_id=rid)), 1)


def holdings_for(user: Any) -> Holdings:
    """The registry records of a user (a real-name verified citizen's person record, an
    enterprise agent's legal entity) and the valid e-licences they hold, for auto-filling forms
    and checking materials (一证通办). The entity only while the user may act for it
    (``entity_acting_for``; two more queries for an enterprise account). One query when the user holds a valid e-licence (the
    usual case: the resident identity card), three at most. Only the columns forms read are
    loaded: ``HOLDINGS_PERSON_FIELDS``, ``HOLDINGS_ENTITY_FIELDS``, the licence's number, data,
    state and validity, and its type's code and names."""
    rid = user.resident_id if getattr(user, "is_real_name", False) and user.resident_id else ""
    # The linked entity only while the user may act for it (a live authorisation, or being its
    # legal representative): a suspended or unauthorised link fills in nothing.
    acting = entity_acting_for(user) if rid else None
    uscc = acting.uscc if acting is not None else ""
    if not rid and not uscc:
        return Holdings()
    person = entity = None
    licences: dict[str, Licence] = {}
    if rid and uscc:
        rows = _held_licences(Q(holder_person__resident_id=rid) | Q(holder_entity__uscc=uscc))
    elif rid:
        rows = _HELD_BY_PERSON.objects(rid)  # a citizen's: every application reads it
    else:
        rows = _held_licences(Q(holder_entity__uscc=uscc))
    for lic in rows:
        licences[lic.licence_type.code] = lic
        if rid and lic.holder_person is not None and lic.holder_person.resident_id == rid:
            person = lic.holder_person
        if uscc and lic.holder_entity is not None and lic.holder_entity.uscc == uscc:
            entity = lic.holder_entity
    # Registry records without any valid e-licence.
    if rid and person is None:
        person = Person.objects.filter(resident_id=rid).only(*_PERSON_COLUMNS).first()
    if uscc and entity is None:
        entity = acting
    return Holdings(person=person, entity=entity, licences=licences)


def renewable_licence(user: Any, type_code: str) -> Licence | None:
    """The user's newest expired e-licence of ``type_code`` (their own, or their acting entity's):
    the material of its own renewal (换证), which ``holdings_for`` leaves out because it is no
    longer valid. Revoked and suspended licences never count. None when there is none."""
    rid = user.resident_id if getattr(user, "is_real_name", False) and user.resident_id else ""
    acting = entity_acting_for(user) if rid else None
    cond = Q(pk__in=[])
    if rid:
        cond |= Q(holder_person__resident_id=rid)
    if acting is not None:
        cond |= Q(holder_entity__uscc=acting.uscc)
    return (
        Licence.objects.filter(cond, state="expired", licence_type__code=type_code)
        .select_related("licence_type")
        .order_by("-valid_to", "-id")
        .first()
    )


def person_with_resident_id(resident_id: str) -> Person | None:
    """The person record with this resident ID number (with its org unit), or None."""
    return Person.objects.filter(resident_id=resident_id).select_related("org_unit").first()


# One record's values by its key, for hot machine paths (the sharing module's 核验: thousands a
# second). The statement is compiled by the ORM once per field list and then only executed: the
# compile was three quarters of a lookup's CPU (measured: 2.0 ms a lookup through the model, 0.2 ms so).
_RECORD_SOURCES = {"person": (Person, "resident_id"), "entity": (LegalEntity, "uscc")}


@lru_cache(maxsize=64)
def _record_query(registry: str, names: tuple[str, ...]) -> Prepared:
    model, key_field = _RECORD_SOURCES[registry]

    def build(key: str) -> QuerySet:
        base = Person.objects.all() if model is Person else legal_entities_active()
        return (
            base.filter(**{key_field: key})
            .order_by()
            .values_list(*names, "org_unit__code", "org_unit__path")[:1]
        )

    return Prepared(build, 1)


def record_values(registry: str, key: str, names: Sequence[str]) -> dict | None:
    """The fields ``names`` of the person with resident ID number ``key`` (``registry="person"``)
    or of the active legal entity with USCC ``key`` (``"entity"``), as ``values_list`` gives them,
    with its org unit's ``org_unit__code`` and ``org_unit__path``; None when there is none.
    Plain values, no model instance, one query compiled once (``core.prepared``)."""
    names = tuple(names)
    rows = _record_query(registry, names).rows(key)
    if not rows:
        return None
    row = rows[0]
    values = dict(zip(names, row[: len(names)], strict=True))
    values["org_unit__code"], values["org_unit__path"] = row[-2], row[-1]
    return values


def persons_with_resident_id_prefix(prefix: str) -> QuerySet[Person]:
    """Persons whose resident ID number starts with ``prefix`` (e.g. a county code), by id."""
    return Person.objects.filter(resident_id__startswith=prefix).order_by("id")


def legal_entities_active() -> QuerySet[LegalEntity]:
    """Legal entities in existence (存续), by id."""
    return LegalEntity.objects.filter(status=LegalEntity.Status.ACTIVE).order_by("id")


# --- Counts for base-level reports (grid's 一表通), aggregates only -----------------------------


def persons_alive_count(*, org_path: str) -> int:
    """How many living persons the population registry holds at or below the unit ``org_path``."""
    return Person.objects.filter(subtree_q(org_path, "org_unit__path"), is_alive=True).count()


def legal_entities_active_count(*, org_path: str = "", county_code: str = "") -> int:
    """How many active legal entities are registered in the county ``county_code`` (by their
    region code), or else at or below the unit ``org_path``."""
    qs = LegalEntity.objects.filter(status="active")
    if county_code:
        return qs.filter(region_code__startswith=county_code).count()
    return qs.filter(subtree_q(org_path, "org_unit__path")).count()


# --- For the services module's demo (added by p2services) ----------------------------------


def licence_types_by_code() -> dict[str, LicenceType]:
    """Every e-licence type, by code (not scoped: the types are public reference data)."""
    return {lt.code: lt for lt in LicenceType.objects.order_by("code")}


# --- For supervision and credit (一户一档, credit evaluation, random inspection populations) -----


def legal_entity_by_uscc(uscc: str) -> LegalEntity | None:
    """The legal entity with this unified social credit code (with its org unit), or None. Not
    scoped: callers decide what of it they show (registry data of entities is public 公示 data)."""
    return LegalEntity.objects.filter(uscc=uscc).select_related("org_unit").first()


def legal_entity_ids_and_regions(usccs: list[str]) -> dict[str, tuple[int, str]]:
    """{credit code: (id, region code)} of these codes whatever their status, e.g. a random draw's
    targets (committed while they were active): one query of three columns, no model instances;
    not scoped."""
    return {
        uscc: (pk, region)
        for uscc, pk, region in LegalEntity.objects.filter(uscc__in=usccs).values_list(
            "uscc", "id", "region_code"
        )
    }


def legal_entities_by_ids(ids: list[int]) -> dict[int, LegalEntity]:
    """Legal entities by id (with their org units); not scoped, as ``legal_entity_by_uscc``."""
    return LegalEntity.objects.select_related("org_unit").in_bulk(ids)


def legal_entity_statuses(ids: list[int]) -> dict[int, str]:
    """{entity id: registration status} of these entities: one query of two columns, for
    credit's re-scoring of a million entities (no model instances built)."""
    return dict(LegalEntity.objects.filter(pk__in=ids).values_list("id", "status"))


def legal_entities_filtered(
    *, entity_type: str = "", region_prefix: str = "", licence_type_code: str = ""
) -> QuerySet[LegalEntity]:
    """Active legal entities by type, region code prefix and (optionally) holding a valid
    e-licence of a type: the population of a random inspection plan."""
    qs = LegalEntity.objects.filter(status=LegalEntity.Status.ACTIVE)
    if entity_type:
        qs = qs.filter(entity_type=entity_type)
    if region_prefix:
        qs = qs.filter(region_code__startswith=region_prefix)
    if licence_type_code:
        qs = qs.filter(
            pk__in=Licence.objects.filter(
                licence_type__code=licence_type_code, state="valid", holder_entity__isnull=False
            ).values("holder_entity_id")
        )
    return qs


def licence_state_counts(entity_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{entity id: {licence state: count}} for entity holders (all entities when ``entity_ids``
    is None): one grouped query."""
    qs = Licence.objects.filter(holder_entity__isnull=False)
    if entity_ids is not None:
        qs = qs.filter(holder_entity_id__in=entity_ids)
    out: dict[int, dict[str, int]] = {}
    for row in qs.values("holder_entity_id", "state").annotate(n=Count("id")).order_by():
        out.setdefault(row["holder_entity_id"], {})[row["state"]] = row["n"]
    return out


def licences_of_entity(entity: LegalEntity) -> QuerySet[Licence]:
    """The e-licences an entity holds, newest first (with their types and departments)."""
    return (
        Licence.objects.filter(holder_entity=entity)
        .select_related("licence_type", "issuing_department")
        .order_by("-id")
    )


def persons_alive_by_unit() -> dict[str, int]:
    """How many living persons the population registry holds at each org unit (by its path,
    the unit itself only: a caller adds them up the tree). Aggregates only: the cockpit's
    incidents per 1,000 residents."""
    rows = (
        Person.objects.filter(is_alive=True)
        .values("org_unit__path")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("org_unit__path", "n")
    )
    return {path: n for path, n in rows if path}


def legal_entities_established() -> QuerySet[LegalEntity]:
    """Every legal entity with a date of establishment, for aggregates by that date (the cockpit's
    new market entities); callers read counts, names and codes only (public registration data)."""
    return LegalEntity.objects.exclude(established_on=None)


# --- For the services module's wallet (卡包) and eligibility scans (免申即享) --------------------


def licence_by_id(pk: Any) -> Licence | None:
    """One e-licence with its type, holders and issuing department, or None (not scoped: the
    caller checks that the reader is its holder or holds a consent or a verified code)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Licence.objects.select_related(
            "licence_type", "holder_person", "holder_entity", "issuing_department__org_unit"
        )
        .filter(pk=pk)
        .first()
    )


def person_scan_query(*, org_path: str = "") -> QuerySet:
    """Every living person as (id, birth date, sex, resident ID): the rows of a set-based
    eligibility scan over the population registry (a caller may stream them, or read them with
    PostgreSQL's COPY from this query's SQL)."""
    qs = Person.objects.filter(is_alive=True)
    if org_path:
        qs = qs.filter(subtree_q(org_path, "org_unit__path"))
    return qs.order_by().values_list("id", "birth_date", "sex", "resident_id")


def person_scan_rows(*, org_path: str = "") -> Iterator[tuple]:
    """``person_scan_query`` streamed (one pass, no model objects)."""
    return person_scan_query(org_path=org_path).iterator(chunk_size=20_000)


def entity_scan_query(*, org_path: str = "") -> QuerySet:
    """Every active legal entity as (id, established on, entity type, region code, registered
    capital in fen, the legal representative's resident ID): the rows of an eligibility scan over
    the legal-entity registry."""
    qs = LegalEntity.objects.filter(status=LegalEntity.Status.ACTIVE)
    if org_path:
        qs = qs.filter(subtree_q(org_path, "org_unit__path"))
    return qs.order_by().values_list(
        "id",
        "established_on",
        "entity_type",
        "region_code",
        "registered_capital_fen",
        "legal_rep_resident_id",
    )


def entity_scan_rows(*, org_path: str = "") -> Iterator[tuple]:
    """``entity_scan_query`` streamed."""
    return entity_scan_query(org_path=org_path).iterator(chunk_size=20_000)


def resident_ids_of(*, persons: Any = None, entities_represented: Any = None) -> QuerySet:
    """The resident ID numbers of the persons ``persons`` (ids or a subquery of ids), or of the
    legal representatives of the entities ``entities_represented``: a lazy subquery, e.g. to
    find the accounts of everyone a scan proposed a benefit to in one statement."""
    if persons is not None:
        return Person.objects.filter(pk__in=persons).values("resident_id")
    return (
        LegalEntity.objects.filter(pk__in=entities_represented)
        .exclude(legal_rep_resident_id="")
        .values("legal_rep_resident_id")
    )


def persons_by_ids(ids: list[int]) -> dict[int, Person]:
    return {p.pk: p for p in Person.objects.filter(pk__in=ids)}
