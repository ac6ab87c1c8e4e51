"""Births (出生户口登记): a newborn enters the population registry with a new resident ID number."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.identifiers import IdentifierError, generate_resident_id
from zhengtong.registry.errors import RegistryError
from zhengtong.registry.models import Person
from zhengtong.registry.services.records import _required, clean_person

if TYPE_CHECKING:
    from zhengtong.accounts.models import User


def resident_id_allocate(*, region: str, birth_date: dt.date, sex: str) -> str:
    """The lowest resident ID number not yet in the population registry for a county (``region``,
    6 digits), a date of birth and a sex: the sequence number is odd for males, even for
    females (GB 11643). Raises IdentifierError for an unknown region or a future date, and
    Conflict ("exhausted") when all 500 numbers are taken. Reads only: the caller inserts."""
    used = {
        int(rid[14:17])
        for rid in Person.objects.filter(resident_id__startswith=f"{region}{birth_date:%Y%m%d}").values_list(
            "resident_id", flat=True
        )
        if rid[14:17].isdigit()
    }
    for seq in range(1 if sex == "M" else 2, 1000, 2):
        if seq not in used:
            return generate_resident_id(region, birth_date, seq)
    raise Conflict(_("no resident ID number is free for this date of birth"), code=RegistryError.EXHAUSTED)


@transaction.atomic
def person_register_birth(
    *,
    actor: User,
    parent: Person,
    name: str,
    sex: str,
    birth_date: dt.date,
    via: str = "services",
) -> Person:
    """出生户口登记, the registry's side: a trusted internal entry point for the module that
    decided the registration (the services module's newborn bundle), so no staff permission at
    the household is asked for.

    Checks: ``actor`` is a real-name verified citizen whose own registry record is ``parent``
    (the caller checks that the deciding case is the actor's), and ``parent`` is a living
    person of the population registry. The newborn enters the parent's household (org unit,
    address, ethnicity) with the lowest free resident ID number of the household's county
    (``resident_id_allocate``). Registrations into one household are serialised on the
    parent's row.

    Idempotent: a person of the same name, sex and date of birth already in that household is
    the newborn (a repeated completion, a second application for the same child) and is
    returned unchanged. The audit event ``registry.person.create`` names ``actor`` (the
    citizen) and ``via`` (the calling module). Raises PermissionDenied (not the actor's own
    record), ValidationError (``parent``, ``name``, ``sex``, ``birth_date``) and Conflict
    ("busy": the numbers kept being taken concurrently; "exhausted")."""
    if not getattr(actor, "is_real_name", False) or not actor.resident_id:
        raise PermissionDenied(_("verify your identity first"))
    parent = Person.objects.select_for_update().select_related("org_unit").filter(pk=parent.pk).first()
    if parent is None or not parent.is_alive:
        raise ValidationError.for_field("parent", _("is not a living person of the population registry"))
    if parent.resident_id != actor.resident_id:
        raise PermissionDenied(_("a birth is registered into the household of the applying parent"))
    name = _required("name", name, 100)
    if sex not in Person.Sex.values:
        raise ValidationError.for_field("sex", _("must be M or F"))
    if not isinstance(birth_date, dt.date):
        raise ValidationError.for_field("birth_date", _("must be a date YYYY-MM-DD"))
    household = parent.org_unit
    existing = Person.objects.filter(
        name=name, sex=sex, birth_date=birth_date, org_unit=household, address=parent.address
    ).first()
    if existing is not None:
        return existing
    for _attempt in range(3):
        try:
            resident_id = resident_id_allocate(region=household.code[:6], birth_date=birth_date, sex=sex)
        except IdentifierError as exc:
            raise ValidationError.for_field(
                "birth_date", str(exc), code=RegistryError.INVALID_IDENTIFIER
            ) from None
        cleaned = clean_person(
            {
                "resident_id": resident_id,
                "name": name,
                "sex": sex,
                "birth_date": birth_date.isoformat(),
                "address": parent.address,
                "ethnicity": parent.ethnicity,
            }
        )
        try:
            with transaction.atomic():
                person = Person.objects.create(org_unit=household, **cleaned)
            break
        except IntegrityError:
            continue  # another registration took the number at the same moment: take the next
    else:
        raise Conflict(_("the registry is busy; try again"), code=RegistryError.BUSY)
    audit.record(
        actor=actor,
        action="registry.person.create",
        target=person,
        after={**cleaned, "parent": parent.pk},
        via=via,
    )
    return person
