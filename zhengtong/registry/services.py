"""Writes of the base registries: persons, legal entities, e-licences, real-name links, corrections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.models import Department, OrgUnit, User, UserKind
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can, ensure_can_on, root_unit
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.identifiers import IdentifierError, parse_resident_id, validate_mobile, validate_uscc
from zhengtong.registry.models import (
    CORRECTABLE_ENTITY_FIELDS,
    CORRECTABLE_PERSON_FIELDS,
    CorrectionRequest,
    LegalEntity,
    Licence,
    LicenceType,
    Person,
)

audit_actions.register(
    {
        "registry.person.create": gettext_lazy("Create person record"),
        "registry.person.update": gettext_lazy("Change person record"),
        "registry.legal_entity.create": gettext_lazy("Create legal-entity record"),
        "registry.legal_entity.update": gettext_lazy("Change legal-entity record"),
        "registry.licence.issue": gettext_lazy("Issue e-licence"),
        "registry.licence.update": gettext_lazy("Change e-licence"),
        "registry.licence_type.create": gettext_lazy("Create licence type"),
        "registry.import": gettext_lazy("Import registry file"),
        "registry.real_name.verify": gettext_lazy("Verify real-name identity"),
        "registry.real_name.failed": gettext_lazy("Real-name verification failed"),
        "registry.enterprise.link": gettext_lazy("Link enterprise agent to legal entity"),
    }
)

PERSON_FIELDS = ("name", "ethnicity", "phone", "address", "is_alive")
ENTITY_FIELDS = (
    "name",
    "entity_type",
    "legal_representative",
    "legal_rep_resident_id",
    "registered_address",
    "established_on",
    "registered_capital_fen",
    "status",
)


def _identifier(field: str, validator, value: Any) -> str:
    try:
        return validator(value)
    except IdentifierError as exc:
        raise ValidationError.for_field(field, str(exc), code="invalid_identifier") from None


def _required(field: str, value: Any, max_length: int) -> str:
    text = (value or "").strip() if isinstance(value, str) else value
    if not text:
        raise ValidationError.for_field(field, _("is required"))
    if not isinstance(text, str) or len(text) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    return text


def clean_person(data: dict[str, Any]) -> dict[str, Any]:
    """Validate person fields; sex and birth date come from the resident ID (and must agree if given)."""
    info = None
    try:
        info = parse_resident_id(data.get("resident_id"))
    except IdentifierError as exc:
        raise ValidationError.for_field("resident_id", str(exc), code="invalid_identifier") from None
    cleaned: dict[str, Any] = {
        "resident_id": data["resident_id"].strip().upper(),
        "name": _required("name", data.get("name"), 100),
        "sex": info.sex,
        "birth_date": info.birth_date,
        "ethnicity": (data.get("ethnicity") or "").strip()[:20],
        "address": (data.get("address") or "").strip()[:200],
        "phone": "",
    }
    if data.get("sex") and str(data["sex"]).strip() not in {info.sex, {"M": "男", "F": "女"}[info.sex]}:
        raise ValidationError.for_field("sex", _("does not match the resident ID number (%s)") % info.sex)
    if data.get("birth_date") and str(data["birth_date"]).strip() != info.birth_date.isoformat():
        raise ValidationError.for_field(
            "birth_date", _("does not match the resident ID number (%s)") % info.birth_date.isoformat()
        )
    if data.get("phone"):
        cleaned["phone"] = _identifier("phone", validate_mobile, data["phone"])
    return cleaned


@transaction.atomic
def person_create(*, actor: Any, org_unit: OrgUnit, **data: Any) -> Person:
    """Add a person to the population registry (registry.change at ``org_unit``)."""
    ensure_can(actor, "registry.change", org_unit)
    cleaned = clean_person(data)
    if Person.objects.filter(resident_id=cleaned["resident_id"]).exists():
        raise Conflict(_("a person with this resident ID number exists already"), code="duplicate")
    person = Person.objects.create(org_unit=org_unit, **cleaned)
    audit.record(actor=actor, action="registry.person.create", target=person, after=cleaned)
    return person


def _record_update(
    *,
    actor: Any,
    record: Person | LegalEntity,
    changes: dict[str, Any],
    key: str,
    fields: tuple[str, ...],
    clean,
    action: str,
):
    """The one way a registry record changes: permission at its org unit, only the changeable
    fields, the whole record re-validated, then the save and its audit event (before/after)."""
    ensure_can_on(actor, "registry.change", record)
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValidationError(fields={f: [_("cannot be changed here")] for f in sorted(unknown)})
    cleaned = clean({f: getattr(record, f) for f in (key, *fields)} | changes)
    before = {f: getattr(record, f) for f in changes}
    for field in changes:
        setattr(record, field, cleaned.get(field, changes[field]))
    record.save(update_fields=[*changes, "updated_at"])
    audit.record(
        actor=actor,
        action=action,
        target=record,
        before=before,
        after={f: getattr(record, f) for f in changes},
    )
    return record


@transaction.atomic
def person_update(*, actor: Any, person: Person, **changes: Any) -> Person:
    """Change fields of a person record (registry.change at the record's org unit)."""
    return _record_update(
        actor=actor,
        record=person,
        changes=changes,
        key="resident_id",
        fields=PERSON_FIELDS,
        clean=clean_person,
        action="registry.person.update",
    )


def clean_legal_entity(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {
        "uscc": _identifier("uscc", validate_uscc, data.get("uscc")),
        "name": _required("name", data.get("name"), 200),
        "entity_type": _required("entity_type", data.get("entity_type"), 60),
        "legal_representative": _required("legal_representative", data.get("legal_representative"), 100),
        "registered_address": _required("registered_address", data.get("registered_address"), 200),
        "legal_rep_resident_id": "",
        "established_on": data.get("established_on") or None,
        "registered_capital_fen": data.get("registered_capital_fen"),
        "status": data.get("status") or LegalEntity.Status.ACTIVE,
    }
    if data.get("legal_rep_resident_id"):
        cleaned["legal_rep_resident_id"] = parse_resident_id_field(
            "legal_rep_resident_id", data["legal_rep_resident_id"]
        )
    if cleaned["status"] not in LegalEntity.Status.values:
        raise ValidationError.for_field(
            "status", _("must be one of %s") % ", ".join(LegalEntity.Status.values)
        )
    if isinstance(cleaned["established_on"], str):
        try:
            cleaned["established_on"] = dt.date.fromisoformat(cleaned["established_on"])
        except ValueError:
            raise ValidationError.for_field("established_on", _("must be a date YYYY-MM-DD")) from None
    capital = cleaned["registered_capital_fen"]
    if capital not in (None, "") and (not isinstance(capital, int) or capital < 0):
        raise ValidationError.for_field(
            "registered_capital_fen", _("must be a whole, non-negative amount in fen")
        )
    return cleaned


def parse_resident_id_field(field: str, value: Any) -> str:
    try:
        parse_resident_id(value)
    except IdentifierError as exc:
        raise ValidationError.for_field(field, str(exc), code="invalid_identifier") from None
    return str(value).strip().upper()


@transaction.atomic
def legal_entity_create(*, actor: Any, org_unit: OrgUnit, **data: Any) -> LegalEntity:
    ensure_can(actor, "registry.change", org_unit)
    cleaned = clean_legal_entity(data)
    if LegalEntity.objects.filter(uscc=cleaned["uscc"]).exists():
        raise Conflict(_("a legal entity with this USCC exists already"), code="duplicate")
    entity = LegalEntity.objects.create(org_unit=org_unit, region_code=org_unit.code, **cleaned)
    audit.record(actor=actor, action="registry.legal_entity.create", target=entity, after=cleaned)
    return entity


@transaction.atomic
def legal_entity_update(*, actor: Any, entity: LegalEntity, **changes: Any) -> LegalEntity:
    """Change fields of a legal-entity record (registry.change at the record's org unit)."""
    return _record_update(
        actor=actor,
        record=entity,
        changes=changes,
        key="uscc",
        fields=ENTITY_FIELDS,
        clean=clean_legal_entity,
        action="registry.legal_entity.update",
    )


@transaction.atomic
def licence_type_create(*, actor: Any, code: str, name: str, holder_kind: str, **extra: Any) -> LicenceType:
    # Licence types are shared by the whole installation: decided at the top of the org tree.
    ensure_can(actor, "registry.change", root_unit())
    if holder_kind not in {"person", "entity"}:
        raise ValidationError.for_field("holder_kind", _("must be person or entity"))
    lt, created = LicenceType.objects.get_or_create(
        code=code, defaults={"name": name, "holder_kind": holder_kind, **extra}
    )
    if created:
        audit.record(
            actor=actor, action="registry.licence_type.create", target=lt, after={"code": code, "name": name}
        )
    return lt


@transaction.atomic
def licence_issue(
    *,
    actor: Any,
    licence_type: LicenceType,
    number: str,
    issuing_department: Department,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    holder_person: Person | None = None,
    holder_entity: LegalEntity | None = None,
    data: dict[str, Any] | None = None,
) -> Licence:
    """Issue an e-licence in the issuing department's org unit (registry.change there)."""
    ensure_can(actor, "registry.change", issuing_department.org_unit, issuing_department)
    number = _required("number", number, 64)
    holder = holder_person if licence_type.holder_kind == "person" else holder_entity
    if holder is None or (holder_person is not None and holder_entity is not None):
        raise ValidationError.for_field(
            "holder", _("a %s licence needs exactly one holder of that kind") % licence_type.holder_kind
        )
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError.for_field("valid_to", _("must not be before valid_from"))
    if Licence.objects.filter(licence_type=licence_type, number=number).exists():
        raise Conflict(_("licence number %s exists already for this type") % number, code="duplicate")
    licence = Licence.objects.create(
        licence_type=licence_type,
        number=number,
        holder_person=holder_person,
        holder_entity=holder_entity,
        issuing_department=issuing_department,
        org_unit=issuing_department.org_unit,
        valid_from=valid_from,
        valid_to=valid_to,
        data=data or {},
        state=Licence.workflow.initial,
    )
    Licence.workflow.start(
        licence,
        actor=actor,
        action="issue",
        after={"type": licence_type.code, "number": number, "holder": holder.pk},
    )
    return licence


def licence_transition(
    *, actor: Any, licence: Licence, action: str, note: str = "", expected_version: int | None = None
) -> Licence:
    """Suspend, restore, revoke or expire an e-licence through the workflow."""
    Licence.workflow.apply(licence, action, actor=actor, note=note, expected_version=expected_version)
    return licence


def licences_expire_due(*, on: dt.date | None = None, limit: int = 10_000) -> int:
    """Move valid or suspended e-licences whose ``valid_to`` has passed to "expired", each through
    the workflow (timeline and audit trail), as the system account. Returns how many expired."""
    from zhengtong.accounts.services import system_actor

    on = on or timezone.localdate()
    actor = system_actor()
    due = Licence.objects.filter(state__in=["valid", "suspended"], valid_to__lt=on).select_related("org_unit")
    count = 0
    for licence in due[:limit]:
        try:
            with transaction.atomic():
                Licence.workflow.apply(
                    licence, "expire", actor=actor, note=_("validity ended on %s") % licence.valid_to
                )
            count += 1
        except Conflict:
            continue  # someone acted on it meanwhile; the next run looks again
    return count


# --- real-name identity and enterprise agents --------------------------------------------


def citizen_verify_real_name(*, actor: User, resident_id: str, name: str) -> User:
    """Verify a citizen's identity against the population registry (实名认证).

    The ID must be valid (GB 11643) and match a living person of that name; one account per person.
    A failed match is recorded in the audit trail and stays there (not atomic with the raise).
    """
    ensure_authenticated(actor)
    if actor.kind != UserKind.CITIZEN:
        raise PermissionDenied(_("only citizen accounts verify a resident identity"))
    resident_id = parse_resident_id_field("resident_id", resident_id)
    name = _required("name", name, 100)
    person = Person.objects.filter(resident_id=resident_id, is_alive=True).first()
    if person is None or person.name != name:
        audit.record(
            actor=actor, action="registry.real_name.failed", target=actor, after={"resident_id": resident_id}
        )
        raise ValidationError.for_field(
            "resident_id", _("no registry record matches this name and ID number"), code="no_match"
        )
    with transaction.atomic():
        if User.objects.filter(resident_id=resident_id).exclude(pk=actor.pk).exists():
            raise Conflict(_("another account is already verified with this ID number"), code="duplicate")
        actor.resident_id = resident_id
        actor.display_name = person.name
        actor.is_real_name = True
        actor.real_name_verified_at = timezone.now()
        actor.save(update_fields=["resident_id", "display_name", "is_real_name", "real_name_verified_at"])
        audit.record(
            actor=actor, action="registry.real_name.verify", target=actor, after={"resident_id": resident_id}
        )
    return actor


@transaction.atomic
def enterprise_link(*, actor: User, uscc: str) -> LegalEntity:
    """Link an enterprise agent to the legal entity they act for, by USCC (GB 32100 check)."""
    ensure_authenticated(actor)
    if actor.kind != UserKind.ENTERPRISE:
        raise PermissionDenied(_("only enterprise accounts act for a legal entity"))
    uscc = _identifier("uscc", validate_uscc, uscc)
    entity = LegalEntity.objects.filter(uscc=uscc).first()
    if entity is None:
        raise ValidationError.for_field(
            "uscc", _("no legal entity with this code in the registry"), code="no_match"
        )
    if entity.status != LegalEntity.Status.ACTIVE:
        raise ValidationError.for_field("uscc", _("the legal entity is not active"), code="inactive")
    actor.uscc = uscc
    actor.save(update_fields=["uscc"])
    audit.record(actor=actor, action="registry.enterprise.link", target=entity, after={"uscc": uscc})
    return entity


# --- correction requests (数据纠错) ---------------------------------------------------------


@transaction.atomic
def correction_submit(*, actor: User, field: str, requested_value: str, reason: str) -> CorrectionRequest:
    """A verified citizen (or enterprise agent) asks to correct their own registry record."""
    ensure_authenticated(actor)
    person = entity = None
    if actor.kind == UserKind.CITIZEN and actor.is_real_name:
        person = Person.objects.filter(resident_id=actor.resident_id).first()
        allowed = CORRECTABLE_PERSON_FIELDS
    elif actor.kind == UserKind.ENTERPRISE and actor.uscc:
        entity = LegalEntity.objects.filter(uscc=actor.uscc).first()
        allowed = CORRECTABLE_ENTITY_FIELDS
    else:
        raise PermissionDenied(_("verify your identity first"))
    record = person or entity
    if record is None:
        raise NotFound(_("your registry record was not found"))
    if field not in allowed:
        raise ValidationError.for_field("field", _("choose one of: %s") % ", ".join(allowed))
    requested_value = _required("requested_value", requested_value, 200)
    reason = _required("reason", reason, 2000)
    if field == "phone":
        requested_value = _identifier("requested_value", validate_mobile, requested_value)
    if str(getattr(record, field)) == requested_value:
        raise ValidationError.for_field("requested_value", _("is the value the registry already holds"))
    request = CorrectionRequest.objects.create(
        person=person,
        legal_entity=entity,
        org_unit=record.org_unit,
        field=field,
        current_value=str(getattr(record, field))[:200],
        requested_value=requested_value,
        reason=reason,
        submitted_by=actor,
        state=CorrectionRequest.workflow.initial,
    )
    CorrectionRequest.workflow.start(request, actor=actor, after={"field": field})
    return request


@transaction.atomic
def correction_act(
    *,
    actor: User,
    request: CorrectionRequest,
    action: str,
    note: str = "",
    expected_version: int | None = None,
) -> CorrectionRequest:
    """Take, resolve (applying the change to the record), reject or withdraw a correction request."""
    flow = CorrectionRequest.workflow
    if action == "resolve":
        flow.apply(
            request,
            action,
            actor=actor,
            note=note,
            changes={"resolution": note},
            expected_version=expected_version,
        )
        if request.person_id:
            person_update(actor=actor, person=request.person, **{request.field: request.requested_value})
        else:
            legal_entity_update(
                actor=actor, entity=request.legal_entity, **{request.field: request.requested_value}
            )
    else:
        changes = {"resolution": note} if action == "reject" else {}
        flow.apply(
            request, action, actor=actor, note=note, changes=changes, expected_version=expected_version
        )
    return request
