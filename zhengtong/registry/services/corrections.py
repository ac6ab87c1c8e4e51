"""Correction requests (数据纠错): a citizen asks, a handler takes, resolves or rejects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.core.identifiers import validate_mobile
from zhengtong.registry.models import (
    CORRECTABLE_ENTITY_FIELDS,
    CORRECTABLE_PERSON_FIELDS,
    CorrectionRequest,
    LegalEntity,
    Person,
)
from zhengtong.registry.services.records import (
    _identifier,
    _required,
    legal_entity_update,
    person_update,
)

if TYPE_CHECKING:
    from zhengtong.accounts.models import User


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
def correction_take(
    *, actor: User, request: CorrectionRequest, note: str = "", expected_version: int | None = None
) -> CorrectionRequest:
    """A handler (registry.handle_correction at the record's unit) takes a submitted request."""
    CorrectionRequest.workflow.apply(
        request, "take", actor=actor, note=note, expected_version=expected_version
    )
    return request


@transaction.atomic
def correction_resolve(
    *, actor: User, request: CorrectionRequest, note: str = "", expected_version: int | None = None
) -> CorrectionRequest:
    """Resolve a request taken in hand: the requested value is written to the person or entity
    record (registry.change there, audited as a record change) in the same transaction."""
    CorrectionRequest.workflow.apply(
        request,
        "resolve",
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
    return request


@transaction.atomic
def correction_reject(
    *, actor: User, request: CorrectionRequest, note: str, expected_version: int | None = None
) -> CorrectionRequest:
    """Reject a submitted or taken request with a reason (kept as its resolution)."""
    CorrectionRequest.workflow.apply(
        request,
        "reject",
        actor=actor,
        note=note,
        changes={"resolution": note},
        expected_version=expected_version,
    )
    return request


@transaction.atomic
def correction_withdraw(
    *, actor: User, request: CorrectionRequest, note: str = "", expected_version: int | None = None
) -> CorrectionRequest:
    """The submitter withdraws their own request before it is taken."""
    CorrectionRequest.workflow.apply(
        request, "withdraw", actor=actor, note=note, expected_version=expected_version
    )
    return request


# The HTTP edge (API and portal) maps a posted action to its function.
CORRECTION_TRANSITIONS = {
    "take": correction_take,
    "resolve": correction_resolve,
    "reject": correction_reject,
    "withdraw": correction_withdraw,
}
