"""Supervision items (监管事项目录清单) and enforcement officers (执法人员)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.core.identifiers import IdentifierError, validate_uscc
from zhengtong.supervision.models import Officer, SupervisionItem


def _text(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationError.for_field(field, _("must be text"))
    if required and not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    return text


@transaction.atomic
def item_create(
    *, actor: Any, department: Any, code: str, name: str, legal_basis: str, checklist: list[str]
) -> SupervisionItem:
    """Add a supervision item to a department's catalogue (supervision.manage at its unit)."""
    ensure_can(actor, "supervision.manage", department.org_unit, department)
    code = _text("code", code, 40)
    if SupervisionItem.objects.filter(code=code).exists():
        raise Conflict(_("an item with this code exists already"))
    if not isinstance(checklist, list) or not checklist or len(checklist) > 50:
        raise ValidationError.for_field("checklist", _("give 1 to 50 checks"))
    checks = [_text("checklist", c, 200) for c in checklist]
    item = SupervisionItem.objects.create(
        code=code,
        name=_text("name", name, 200),
        department=department,
        org_unit=department.org_unit,
        legal_basis=_text("legal_basis", legal_basis, 500),
        checklist=checks,
    )
    audit.record(actor=actor, action="supervision.item.create", target=item, after={"code": code})
    return item


@transaction.atomic
def officer_register(
    *,
    actor: Any,
    department: Any,
    number: str,
    name: str,
    certificate_no: str,
    certificate_valid_to: dt.date,
    user: Any = None,
    residence_region: str = "",
    declared_relations: list[str] | None = None,
) -> Officer:
    """Register an enforcement officer of a department (supervision.manage at its unit)."""
    ensure_can(actor, "supervision.manage", department.org_unit, department)
    number = _text("number", number, 20)
    if Officer.objects.filter(number=number).exists():
        raise Conflict(_("an officer with this number exists already"))
    if not isinstance(certificate_valid_to, dt.date):
        raise ValidationError.for_field("certificate_valid_to", _("must be a date"))
    region = _text("residence_region", residence_region, 15, required=False)
    if region and not region.isdigit():
        raise ValidationError.for_field("residence_region", _("must be a region code (digits)"))
    relations = []
    for code in declared_relations or []:
        try:
            relations.append(validate_uscc(code))
        except IdentifierError as exc:
            raise ValidationError.for_field("declared_relations", str(exc)) from None
    officer = Officer.objects.create(
        number=number,
        user=user,
        name=_text("name", name, 50),
        certificate_no=_text("certificate_no", certificate_no, 40),
        certificate_valid_to=certificate_valid_to,
        department=department,
        org_unit=department.org_unit,
        residence_region=region,
        declared_relations=relations,
    )
    audit.record(
        actor=actor,
        action="supervision.officer.register",
        target=officer,
        after={"number": number, "department": department.code},
    )
    return officer
