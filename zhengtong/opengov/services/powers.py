"""Lists of powers and responsibilities (权责清单), linked to service items and documents."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound, ValidationError
from zhengtong.opengov.errors import OpengovError
from zhengtong.opengov.models import Document, Power, PowerType
from zhengtong.services import selectors as service_selectors


@transaction.atomic
def power_set(
    *,
    actor: Any,
    department: Any,
    code: str,
    name: str,
    power_type: str,
    legal_basis: str,
    responsible_unit: str,
    procedure: str = "",
    accountability: str = "",
    life_events: list[str] | None = None,
    service_items: list[str] | None = None,
    documents: list[Document] | None = None,
) -> Power:
    """Create or update one power of ``department``'s list (by its code); the service items it
    names must be published items of the catalogue. A code held by another department's list is
    refused (that department's power is not taken over)."""
    ensure_can(actor, "opengov.publish", department.org_unit, department)
    if power_type not in PowerType.values:
        raise ValidationError.for_field("power_type", _("must be one of %s") % ", ".join(PowerType.values))
    for field, value, limit, required in (
        ("code", code, 40, True),
        ("name", name, 200, True),
        ("legal_basis", legal_basis, 5000, True),
        ("responsible_unit", responsible_unit, 200, True),
        ("procedure", procedure, 10_000, False),
        ("accountability", accountability, 10_000, False),
    ):
        if not isinstance(value, str) or (required and not value.strip()):
            raise ValidationError.for_field(field, _("is required") if required else _("must be a text"))
        if len(value.strip()) > limit:
            raise ValidationError.for_field(field, _("at most %d characters") % limit)
    for field, values in (("life_events", life_events), ("service_items", service_items)):
        if values is not None and (
            not isinstance(values, list) or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in values)
        ):
            raise ValidationError.for_field(field, _("must be a list of texts of at most 40 characters"))
    existing = Power.objects.select_for_update().filter(code=code.strip()).first()
    if existing is not None and existing.department_id != department.pk:
        message = _("the code %s is in another department's list") % code.strip()
        raise Conflict(message, code=OpengovError.POWER_CODE_TAKEN, details={"fields": {"code": [message]}})
    if documents and any(d.department_id != department.pk for d in documents):
        raise ValidationError.for_field("documents", _("must be documents of the same department"))
    items = list(service_items or [])
    for item_code in items:
        try:
            service_selectors.item_get(item_code)
        except NotFound:
            raise ValidationError.for_field(
                "service_items", _("no published service item %s") % item_code
            ) from None
    power, created = Power.objects.update_or_create(
        code=code.strip(),
        defaults={
            "org_unit": department.org_unit,
            "department": department,
            "name": name.strip(),
            "power_type": power_type,
            "legal_basis": legal_basis.strip(),
            "responsible_unit": responsible_unit.strip(),
            "procedure": (procedure or "").strip(),
            "accountability": (accountability or "").strip(),
            "life_events": list(life_events or []),
            "service_items": items,
        },
    )
    if documents is not None:
        power.documents.set(documents)
    audit.record(actor=actor, action="opengov.power.set", target=power, after={"created": created})
    return power


@transaction.atomic
def power_remove(*, actor: Any, power: Power) -> None:
    """Take a power off its department's list (abolished or transferred), recorded in the audit log."""
    ensure_can(actor, "opengov.publish", power.org_unit, power.department)
    audit.record(
        actor=actor,
        action="opengov.power.remove",
        target=power,
        before={"code": power.code, "name": power.name},
    )
    power.delete()
