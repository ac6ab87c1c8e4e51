from __future__ import annotations

import datetime as dt

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from zhengtong.accounts.selectors import org_unit_get
from zhengtong.core.errors import ValidationError
from zhengtong.core.masking import mask_phone, mask_resident_id
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS, Error
from zhengtong.core.workflow import timeline
from zhengtong.registry import importers, selectors, services
from zhengtong.registry.models import CorrectionRequest, LegalEntity, Licence, Person

router = Router(tags=["registry"])


class ListQuery(Schema):
    q: str = ""
    cursor: str | None = None
    limit: int | None = None


class PersonOut(Schema):
    id: int
    resident_id_masked: str
    name: str
    sex: str
    birth_date: dt.date
    phone_masked: str
    address: str
    org_unit: str
    org_unit_name: str
    is_alive: bool

    @staticmethod
    def resolve_resident_id_masked(obj: Person) -> str:
        return mask_resident_id(obj.resident_id)

    @staticmethod
    def resolve_phone_masked(obj: Person) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_org_unit(obj: Person) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_org_unit_name(obj: Person) -> str:
        return obj.org_unit.name


class PersonPage(Schema):
    items: list[PersonOut]
    next: str | None


class PersonIn(Schema):
    resident_id: str
    name: str
    org_unit: str
    phone: str = ""
    address: str = ""
    ethnicity: str = ""


class PersonPatch(Schema):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    ethnicity: str | None = None
    is_alive: bool | None = None


@router.get("/persons", response={200: PersonPage, **ERRORS}, operation_id="registry_persons")
def persons(request, f: Query[ListQuery]):
    """Look up persons in your scope: ``q`` is a full resident ID or a name prefix. IDs are masked."""
    page = keyset_page(
        selectors.persons_for(request.auth, q=f.q), order=["id"], cursor=f.cursor, limit=clamp_limit(f.limit)
    )
    return {"items": page.items, "next": page.next_cursor}


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS}, operation_id="registry_person")
def person(request, person_id: int):
    """One person of the base registry, identifiers masked unless the caller may see them in full."""
    return selectors.person_get_for(request.auth, person_id)


@router.post("/persons", response={201: PersonOut, **ERRORS}, operation_id="registry_person_create")
def person_create(request, payload: PersonIn):
    """Register a natural person in the base registry (staff with registry rights in the org unit;
    the record is validated and audited)."""
    data = payload.dict()
    unit = org_unit_get(data.pop("org_unit"))
    return Status(201, services.person_create(actor=request.auth, org_unit=unit, **data))


@router.patch(
    "/persons/{person_id}", response={200: PersonOut, **ERRORS}, operation_id="registry_person_update"
)
def person_update(request, person_id: int, payload: PersonPatch):
    """Change a person record: 404 outside your scope, 403 where you may look but not change."""
    person = selectors.person_get_for(request.auth, person_id)
    changes = payload.dict(exclude_unset=True)
    nulls = {
        name: "may not be null; leave the field out to keep its value"
        for name, v in changes.items()
        if v is None
    }
    if nulls:
        raise ValidationError(fields=nulls)
    return services.person_update(actor=request.auth, person=person, **changes)


class LegalEntityOut(Schema):
    id: int
    uscc: str
    name: str
    entity_type: str
    legal_representative: str
    registered_address: str
    region_code: str
    established_on: dt.date | None
    registered_capital_fen: int | None
    status: str


class LegalEntityPage(Schema):
    items: list[LegalEntityOut]
    next: str | None


@router.get(
    "/legal-entities", response={200: LegalEntityPage, **ERRORS}, operation_id="registry_legal_entities"
)
def legal_entities(request, f: Query[ListQuery]):
    """Legal entities in your scope: ``q`` is a USCC or part of the name."""
    qs = selectors.legal_entities_for(request.auth, q=f.q)
    page = keyset_page(qs, order=["id"], cursor=f.cursor, limit=clamp_limit(f.limit))
    return {"items": page.items, "next": page.next_cursor}


@router.get(
    "/legal-entities/{entity_id}",
    response={200: LegalEntityOut, **ERRORS},
    operation_id="registry_legal_entity",
)
def legal_entity(request, entity_id: int):
    """One legal entity of the base registry (unified social credit code, name, status)."""
    return selectors.legal_entity_get_for(request.auth, entity_id)


class LicenceOut(Schema):
    id: int
    licence_type: str
    licence_type_name: str
    number: str
    holder: str
    issuing_department: str
    org_unit: str
    valid_from: dt.date
    valid_to: dt.date | None
    state: str
    version: int

    @staticmethod
    def resolve_licence_type(obj: Licence) -> str:
        return obj.licence_type.code

    @staticmethod
    def resolve_licence_type_name(obj: Licence) -> str:
        return obj.licence_type.name

    @staticmethod
    def resolve_holder(obj: Licence) -> str:
        if obj.holder_entity_id:
            return obj.holder_entity.name
        return str(obj.holder_person)

    @staticmethod
    def resolve_issuing_department(obj: Licence) -> str:
        return obj.issuing_department.name

    @staticmethod
    def resolve_org_unit(obj: Licence) -> str:
        return obj.org_unit.code


class LicencePage(Schema):
    items: list[LicenceOut]
    next: str | None


class LicenceTransitionIn(Schema):
    action: str
    note: str = ""
    version: int | None = None


class RegistryTimelineOut(Schema):
    transition: str
    from_state: str
    to_state: str
    actor_label: str
    note: str
    at: dt.datetime


@router.get("/licences", response={200: LicencePage, **ERRORS}, operation_id="registry_licences")
def licences(request, f: Query[ListQuery]):
    """E-licences in your scope; ``q`` is a licence number."""
    page = keyset_page(
        selectors.licences_for(request.auth, q=f.q), order=["id"], cursor=f.cursor, limit=clamp_limit(f.limit)
    )
    return {"items": page.items, "next": page.next_cursor}


@router.get("/licences/{licence_id}", response={200: LicenceOut, **ERRORS}, operation_id="registry_licence")
def licence(request, licence_id: int):
    """One licence or certificate of the registry with its holder and validity."""
    return selectors.licence_get_for(request.auth, licence_id)


@router.post(
    "/licences/{licence_id}/transitions",
    response={200: LicenceOut, **ERRORS},
    operation_id="registry_licence_transition",
)
def licence_transition(request, licence_id: int, payload: LicenceTransitionIn):
    """Suspend, restore, revoke or expire. Send ``version`` to be sure nobody acted in between."""
    lic = selectors.licence_get_for(request.auth, licence_id)
    lic.workflow.transition(payload.action)  # an unknown action: the workflow's ValidationError
    return services.LICENCE_TRANSITIONS[payload.action](
        actor=request.auth, licence=lic, note=payload.note, expected_version=payload.version
    )


@router.get(
    "/licences/{licence_id}/timeline",
    response={200: list[RegistryTimelineOut], **ERRORS},
    operation_id="registry_licence_timeline",
)
def licence_timeline(request, licence_id: int):
    """The licence's history: issue, changes, suspension, revocation, each with actor and time."""
    return timeline(selectors.licence_get_for(request.auth, licence_id))


@router.get("/my/licences", response={200: list[LicenceOut], **ERRORS}, operation_id="registry_my_licences")
def my_licences(request):
    """E-licences you hold (or the enterprise you act for holds)."""
    return list(selectors.my_licences(request.auth))


class RealNameIn(Schema):
    resident_id: str
    name: str


class RealNameOut(Schema):
    is_real_name: bool
    display_name: str
    resident_id_masked: str


@router.post("/my/real-name", response={200: RealNameOut, **ERRORS}, operation_id="registry_real_name_verify")
def real_name_verify(request, payload: RealNameIn):
    """Verify your identity against the population registry (ID checked per GB 11643)."""
    user = services.citizen_verify_real_name(
        actor=request.auth, resident_id=payload.resident_id, name=payload.name
    )
    return RealNameOut(
        is_real_name=True,
        display_name=user.display_name,
        resident_id_masked=mask_resident_id(user.resident_id),
    )


class CorrectionIn(Schema):
    field: str
    requested_value: str
    reason: str


class CorrectionOut(Schema):
    id: int
    field: str
    current_value: str
    requested_value: str

    @staticmethod
    def resolve_current_value(obj: CorrectionRequest) -> str:
        return obj.current_value_display

    @staticmethod
    def resolve_requested_value(obj: CorrectionRequest) -> str:
        return obj.requested_value_display

    reason: str
    resolution: str
    state: str
    version: int
    org_unit: str
    sla_state: str
    sla_deadline: dt.date | None
    created_at: dt.datetime

    @staticmethod
    def resolve_org_unit(obj: CorrectionRequest) -> str:
        return obj.org_unit.code


class CorrectionPage(Schema):
    items: list[CorrectionOut]
    next: str | None


class CorrectionQuery(Schema):
    state: str = ""
    cursor: str | None = None
    limit: int | None = None


@router.get("/corrections", response={200: CorrectionPage, **ERRORS}, operation_id="registry_corrections")
def corrections(request, f: Query[CorrectionQuery]):
    """Correction requests you may handle, or your own."""
    qs = selectors.corrections_for(request.auth, state=f.state)
    page = keyset_page(qs, order=["-id"], cursor=f.cursor, limit=clamp_limit(f.limit))
    return {"items": page.items, "next": page.next_cursor}


@router.post(
    "/corrections", response={201: CorrectionOut, **ERRORS}, operation_id="registry_correction_submit"
)
def correction_submit(request, payload: CorrectionIn):
    """Ask for a correction of registry data (the holder or staff); it enters review."""
    return Status(201, services.correction_submit(actor=request.auth, **payload.dict()))


@router.post(
    "/corrections/{correction_id}/transitions",
    response={200: CorrectionOut, **ERRORS},
    operation_id="registry_correction_transition",
)
def correction_transition(request, correction_id: int, payload: LicenceTransitionIn):
    """Move a correction request along its workflow (accept, reject, apply) by staff in scope."""
    obj = selectors.correction_get_for(request.auth, correction_id)
    obj.workflow.transition(payload.action)  # an unknown action: the workflow's ValidationError
    return services.CORRECTION_TRANSITIONS[payload.action](
        actor=request.auth, request=obj, note=payload.note, expected_version=payload.version
    )


class ImportRowErrorOut(Schema):
    row: int
    field: str
    message: str


class ImportOut(Schema):
    kind: str
    encoding: str
    rows: int
    created: int
    updated: int
    committed: bool
    errors: list[ImportRowErrorOut]
    truncated_errors: bool
    sha256: str


@router.post(
    "/imports",
    # 422: the report of bad rows, or the usual error body when the form itself is invalid
    # (no kind, no file): both are declared (the fuzzer found the second undeclared, issue 17).
    response={**ERRORS, 200: ImportOut, 422: ImportOut | Error},
    operation_id="registry_import",
)
def registry_import(request, kind: Form[str], file: File[UploadedFile]):
    """Import a CSV (UTF-8 or GBK/GB18030) of persons, legal_entities or licences: all rows or none.

    422 with the list of bad rows (row, field, message) when anything is wrong; nothing is written then.
    """
    report = importers.registry_import(
        actor=request.auth, kind=kind, raw=file.read(), filename=file.name or ""
    )
    return Status(200 if report.committed else 422, report)


__all__ = ["router", "LegalEntity"]
