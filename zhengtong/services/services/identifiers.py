"""Identifiers on a staff case page: masked by default, one shown in full by an audited action.

Every value of the application data and every material's number goes through the privacy
module's detectors (``scan_text``: resident IDs, phone numbers, bank cards, USCCs, ...), wherever
the value came from (a registry record, an e-licence, typed by the applicant). A member of staff
who may see the case (``services.view`` in its scope) can ask for one identifier in full: the
request is recorded in the audit trail (which one, and the reason if given), in the same
transaction, before the value is returned. Nothing is recorded for anyone else.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can_on
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.privacy.detectors import scan_text
from zhengtong.services.models import Case

REVEAL_ACTION = "services.case.identifier_revealed"
REASON_MAX = 200


def masked(value: Any) -> str:
    """A value as the page shows it: every identifier the detectors find masked."""
    return scan_text("" if value is None else str(value))


def case_identifiers(case: Case) -> dict[str, str]:
    """The page's values that hold an identifier, by key (``data:<field>``,
    ``material:<code>``), in full: only these can be revealed."""
    found = {}
    for name, value in (case.data or {}).items():
        text = "" if value is None else str(value)
        if text and masked(text) != text:
            found[f"data:{name}"] = text
    for code, status in (case.materials or {}).items():
        number = str((status or {}).get("number") or "")
        if number and masked(number) != number:
            found[f"material:{code}"] = number
    return found


def case_identifier_reveal(*, actor: Any, case: Case, field: str, reason: str = "") -> str:
    """One identifier of the case in full, for staff who may see the case; audited (the field and
    the reason, never the value)."""
    ensure_can_on(actor, "services.view", case)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError.for_field("reason", _("at most %(n)d characters") % {"n": REASON_MAX})
    values = case_identifiers(case)
    if field not in values:
        raise ValidationError.for_field(
            "field", _("no identifier %(field)s on this case") % {"field": field[:80]}
        )
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=REVEAL_ACTION,
            target=case,
            org_unit=case.org_unit,
            after={"field": field, "reason": reason},
            note=reason,
        )
    return values[field]
