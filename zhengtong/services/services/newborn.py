"""The newborn of a birth registration (出生户口登记): a case whose form declares
``x-registers-person`` enters the child in the population registry when it completes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import in_subtree
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.registry import services as registry
from zhengtong.services import eforms
from zhengtong.services.models import Case
from zhengtong.services.services.items import NEWBORN_KEY

if TYPE_CHECKING:
    from zhengtong.registry.models import Person


def register_newborn(case: Case, *, actor: Any) -> Person | None:
    """出生户口登记: enter the newborn of a completing household-registration case in the
    population registry, in the household (org unit and address) of the applying parent, with a
    newly assigned resident ID number. Only for items whose form declares ``x-registers-person``;
    None for the others.

    The registry's trusted entry point ``registry.person_register_birth`` writes the person on
    behalf of the applicant (the parent), via "services": its audit event names the citizen, not
    a superuser. This module checks what is its own to check: the case is the applicant's, its
    form holds a name, a sex and a date of birth, and the parent's household lies in the area of
    the deciding department. The event ``services.case.newborn`` names ``actor`` (the reviewer
    who completed the case).

    Idempotent: a person of the same name, sex and date of birth already in that household is
    the newborn (a repeated completion or a second application for the same child), and is
    returned instead of a new record. Registry errors come back under the form's field names."""
    spec = (case.item_version.form_schema or {}).get(NEWBORN_KEY)
    if not spec:
        return None
    data = case.data or {}
    name = str(data.get(spec["name"]) or "").strip()
    sex = str(data.get(spec["sex"]) or "").strip()
    try:
        birth = dt.date.fromisoformat(str(data.get(spec["birth_date"]) or ""))
    except ValueError:
        raise ValidationError.for_field(spec["birth_date"], _("is not a valid date")) from None
    if not name:
        raise ValidationError.for_field(spec["name"], _("is required"))
    if sex not in ("M", "F"):
        raise ValidationError.for_field(spec["sex"], _("choose one of the options"))
    parent = case.applicant_person or eforms.holdings_for(case.applicant).person
    if parent is None:
        raise ValidationError.for_field(
            "applicant",
            _("the applying parent is not in the population registry: the newborn has no household"),
        )
    household = parent.org_unit
    if not in_subtree(household.path, case.org_unit.path):
        raise ValidationError.for_field(
            "applicant", _("the parent's household is registered outside the area of this department")
        )
    try:
        person = registry.person_register_birth(
            actor=case.applicant, parent=parent, name=name, sex=sex, birth_date=birth, via="services"
        )
    except ValidationError as exc:
        # The registry names its own arguments; the reviewer sees the form's fields.
        names = {
            "name": spec["name"],
            "sex": spec["sex"],
            "birth_date": spec["birth_date"],
            "parent": "applicant",
        }
        if not exc.fields:
            raise
        raise ValidationError(
            fields={names.get(key, key): messages for key, messages in exc.fields.items()}, code=exc.code
        ) from None
    audit.record(
        actor=actor,
        action="services.case.newborn",
        target=case,
        org_unit=household,
        after={"person": person.pk, "household": household.code},
    )
    return person
