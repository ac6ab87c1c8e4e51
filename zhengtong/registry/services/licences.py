"""E-licences (电子证照): licence types, issuing, the lifecycle transitions, expiry."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can, root_unit
from zhengtong.audit import services as audit
from zhengtong.core import prepared
from zhengtong.core.errors import Conflict, CoreError, ValidationError
from zhengtong.core.prepared import Prepared
from zhengtong.registry.models import LegalEntity, Licence, LicenceType, Person
from zhengtong.registry.services.records import _required

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department


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


# Every issue (each 秒批 decision among them) checks its number: compiled once per connection.
_NUMBER_TAKEN = Prepared(
    lambda type_code, number: (
        Licence.objects.filter(licence_type__code=type_code, number=number).values_list("pk").order_by()[:1]
    ),
    2,
)


def _insert_unless_taken(licence: Licence) -> bool:
    """Write a new licence unless its type already has its number (False, nothing written): on
    PostgreSQL one INSERT ... ON CONFLICT DO NOTHING (no look-up first, no savepoint), elsewhere
    a look-up, then the INSERT."""
    connection = connections[router.db_for_write(Licence)]
    if connection.vendor != "postgresql":
        if _NUMBER_TAKEN.rows(licence.licence_type.code, licence.number):
            return False
        licence.save(force_insert=True)
        return True
    sql, params = prepared.insert_sql(licence, connection)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Licence._meta.get_field(f).column) for f in ("licence_type", "number"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql} ON CONFLICT ({columns}) DO NOTHING RETURNING {quote(Licence._meta.pk.column)}", params
        )
        row = cursor.fetchone()
    if row is None:
        return False
    prepared.saved(licence, row[0], connection)
    return True


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
    via: str = "",
) -> Licence:
    """Issue an e-licence in the issuing department's org unit (registry.change there).

    ``via`` marks a trusted internal call: a module issues the licence as the result of its own
    decision (e.g. ``"services"`` when a reviewer approves the last step of a case whose item
    produces this licence); that module has checked the actor's right to decide, so no registry
    role is asked, and the audit event and timeline name the actor and ``via``."""
    if not via:
        ensure_can(actor, "registry.change", issuing_department.org_unit, issuing_department)
    number = _required("number", number, 64)
    holder = holder_person if licence_type.holder_kind == "person" else holder_entity
    if holder is None or (holder_person is not None and holder_entity is not None):
        raise ValidationError.for_field(
            "holder", _("a %s licence needs exactly one holder of that kind") % licence_type.holder_kind
        )
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError.for_field("valid_to", _("must not be before valid_from"))
    licence = Licence(
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
    # No savepoint: a failed write must fail the caller's change with it, as the licence is its
    # result. A taken number wrote nothing, and is refused after the block (so that a caller's
    # transaction may go on).
    with transaction.atomic(savepoint=False):
        written = _insert_unless_taken(licence)
        if written:
            Licence.workflow.start(
                licence,
                actor=actor,
                action="issue",
                after={"type": licence_type.code, "number": number, "holder": holder.pk},
                via=via,
            )
    if not written:
        raise Conflict(_("licence number %s exists already for this type") % number, code=CoreError.DUPLICATE)
    return licence


def _licence_apply(action: str, *, actor: Any, licence: Licence, note: str, expected_version: int | None):
    Licence.workflow.apply(licence, action, actor=actor, note=note, expected_version=expected_version)
    return licence


def licence_suspend(
    *, actor: Any, licence: Licence, note: str, expected_version: int | None = None
) -> Licence:
    """Suspend a valid e-licence (registry.change at its issuing department; a reason is required)."""
    return _licence_apply(
        "suspend", actor=actor, licence=licence, note=note, expected_version=expected_version
    )


def licence_restore(
    *, actor: Any, licence: Licence, note: str = "", expected_version: int | None = None
) -> Licence:
    """Restore a suspended e-licence to valid (registry.change)."""
    return _licence_apply(
        "restore", actor=actor, licence=licence, note=note, expected_version=expected_version
    )


def licence_revoke(
    *, actor: Any, licence: Licence, note: str, expected_version: int | None = None, via: str = ""
) -> Licence:
    """Revoke a valid or suspended e-licence for good (registry.change; a reason is required).
    ``via``: a trusted internal call from the module that revoked the decision behind the licence
    (services' 告知承诺 核查), as the person who decided it; the role check is the caller's."""
    if via:
        Licence.workflow.apply(
            licence, "revoke", actor=actor, note=note, expected_version=expected_version, via=via
        )
        return licence
    return _licence_apply(
        "revoke", actor=actor, licence=licence, note=note, expected_version=expected_version
    )


def licence_expire(
    *, actor: Any, licence: Licence, note: str = "", expected_version: int | None = None
) -> Licence:
    """Mark a valid or suspended e-licence expired by hand (registry.change)."""
    return _licence_apply(
        "expire", actor=actor, licence=licence, note=note, expected_version=expected_version
    )


# The HTTP edge (API and portal) maps a posted action to its function.
LICENCE_TRANSITIONS = {
    "suspend": licence_suspend,
    "restore": licence_restore,
    "revoke": licence_revoke,
    "expire": licence_expire,
}


def licences_expire_due(*, on: dt.date | None = None, limit: int = 10_000) -> int:
    """Move valid or suspended e-licences whose ``valid_to`` has passed to "expired", each through
    the workflow (timeline and audit trail). Scheduled work with nobody behind it: recorded as
    the system (no actor) via "registry". Returns how many expired."""
    on = on or timezone.localdate()
    due = Licence.objects.filter(state__in=["valid", "suspended"], valid_to__lt=on).select_related("org_unit")
    count = 0
    for licence in due[:limit]:
        try:
            with transaction.atomic():
                Licence.workflow.apply(
                    licence,
                    "expire",
                    actor=None,
                    via="registry",
                    note=_("validity ended on %s") % licence.valid_to,
                )
            count += 1
        except Conflict:
            continue  # someone acted on it meanwhile; the next run looks again
    return count
