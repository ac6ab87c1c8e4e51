"""Lists of powers and responsibilities (权责清单), linked to service items and documents."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import NotFound, ValidationError
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
    """Create or update one power of ``department``'s list; the service items it names must be
    published items of the catalogue."""
    ensure_can(actor, "opengov.publish", department.org_unit, department)
    if power_type not in PowerType.values:
        raise ValidationError.for_field("power_type", _("must be one of %s") % ", ".join(PowerType.values))
    for field, value in (
        ("code", code),
        ("name", name),
        ("legal_basis", legal_basis),
        ("responsible_unit", responsible_unit),
    ):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError.for_field(field, _("is required"))
    items = list(service_items or [])
    for item_code in items:
        try:
            service_selectors.item_get(item_code)
        except NotFound:
            raise ValidationError.for_field(
                "service_items", _("no published service item %s") % item_code
            ) from None
    power, created = Power.objects.update_or_create(
        code=code.strip()[:40],
        defaults={
            "org_unit": department.org_unit,
            "department": department,
            "name": name.strip()[:200],
            "power_type": power_type,
            "legal_basis": legal_basis.strip(),
            "responsible_unit": responsible_unit.strip()[:200],
            "procedure": procedure,
            "accountability": accountability,
            "life_events": list(life_events or []),
            "service_items": items,
        },
    )
    if documents is not None:
        power.documents.set(documents)
    audit.record(actor=actor, action="opengov.power.set", target=power, after={"created": created})
    return power
