"""Real-name identity (实名认证) of citizens and the link of enterprise agents to their entity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.accounts.selectors import resident_id_verified_by_other
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, PermissionDenied, ValidationError
from zhengtong.core.identifiers import validate_uscc
from zhengtong.registry.errors import RegistryError
from zhengtong.registry.models import LegalEntity, Person
from zhengtong.registry.services.records import _identifier, _required, parse_resident_id_field

if TYPE_CHECKING:
    from zhengtong.accounts.models import User


def citizen_verify_real_name(*, actor: User, resident_id: str, name: str) -> User:
    """Verify a citizen's identity against the population registry (实名认证).

    The ID must be valid (GB 11643) and match a living person of that name; one account per person.
    A failed match is recorded in the audit trail and stays there (not atomic with the raise).
    """
    ensure_authenticated(actor)
    if not actor.kind == UserKind.CITIZEN:
        raise PermissionDenied(_("only citizen accounts verify a resident identity"))
    resident_id = parse_resident_id_field("resident_id", resident_id)
    name = _required("name", name, 100)
    person = Person.objects.filter(resident_id=resident_id, is_alive=True).first()
    if person is None or person.name != name:
        audit.record(
            actor=actor, action="registry.real_name.failed", target=actor, after={"resident_id": resident_id}
        )
        raise ValidationError.for_field(
            "resident_id",
            _("no registry record matches this name and ID number"),
            code=RegistryError.NO_MATCH,
        )
    with transaction.atomic():
        if resident_id_verified_by_other(resident_id, user=actor):
            raise Conflict(
                _("another account is already verified with this ID number"), code=CoreError.DUPLICATE
            )
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
    if not actor.kind == UserKind.ENTERPRISE:
        raise PermissionDenied(_("only enterprise accounts act for a legal entity"))
    uscc = _identifier("uscc", validate_uscc, uscc)
    entity = LegalEntity.objects.filter(uscc=uscc).first()
    if entity is None:
        raise ValidationError.for_field(
            "uscc", _("no legal entity with this code in the registry"), code=RegistryError.NO_MATCH
        )
    if entity.status != LegalEntity.Status.ACTIVE:
        raise ValidationError.for_field(
            "uscc", _("the legal entity is not active"), code=RegistryError.INACTIVE
        )
    actor.uscc = uscc
    actor.save(update_fields=["uscc"])
    audit.record(actor=actor, action="registry.enterprise.link", target=entity, after={"uscc": uscc})
    return entity
