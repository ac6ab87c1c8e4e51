"""Person and legal-entity records: validation, creation, the one way a record changes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can, ensure_can_on
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, ValidationError
from zhengtong.core.identifiers import IdentifierError, parse_resident_id, validate_mobile, validate_uscc
from zhengtong.registry.errors import RegistryError
from zhengtong.registry.models import LegalEntity, Person

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit


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
        "registry.entity_authorization.grant": gettext_lazy("Authorise a person to act for a legal entity"),
        "registry.entity_authorization.revoke": gettext_lazy(
            "Revoke an authorisation to act for a legal entity"
        ),
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
        raise ValidationError.for_field(field, str(exc), code=RegistryError.INVALID_IDENTIFIER) from None


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
        raise ValidationError.for_field(
            "resident_id", str(exc), code=RegistryError.INVALID_IDENTIFIER
        ) from None
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
        raise Conflict(_("a person with this resident ID number exists already"), code=CoreError.DUPLICATE)
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
        raise ValidationError.for_field(field, str(exc), code=RegistryError.INVALID_IDENTIFIER) from None
    return str(value).strip().upper()


@transaction.atomic
def legal_entity_create(*, actor: Any, org_unit: OrgUnit, **data: Any) -> LegalEntity:
    ensure_can(actor, "registry.change", org_unit)
    cleaned = clean_legal_entity(data)
    if LegalEntity.objects.filter(uscc=cleaned["uscc"]).exists():
        raise Conflict(_("a legal entity with this USCC exists already"), code=CoreError.DUPLICATE)
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
