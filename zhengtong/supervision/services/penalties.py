"""Administrative penalty cases (行政处罚): 立案 → 调查取证 → 告知 → (听证) → 决定 → 送达 → 执行 →
结案. The workflow keeps the order of the steps; these functions keep their time limits in
working days (core.calendar) and refuse a step taken too early or too late."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can, ensure_can_on
from zhengtong.audit import services as audit
from zhengtong.core.calendar import add_working_days, working_days_between
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.core.identifiers import IdentifierError, validate_resident_id
from zhengtong.credit import services as credit
from zhengtong.supervision import hooks
from zhengtong.supervision.errors import SupervisionError
from zhengtong.supervision.models import PartyKind, PenaltyCase, PenaltyKind
from zhengtong.supervision.workflows import PENALTY_FLOW

SEVERITY = {"warning": 1, "fine": 2, "confiscation": 2, "suspension": 3, "licence_revoked": 3}


def _late(message: str) -> ValidationError:
    return ValidationError(message, code=SupervisionError.DEADLINE_PASSED)


def penalty_file(
    *,
    actor: Any,
    department: Any,
    facts: str,
    entity: Any = None,
    party_name: str = "",
    party_id_number: str = "",
    item: Any = None,
    inspection: Any = None,
    via: str = "",
) -> PenaltyCase:
    """File a case (立案) against an entity or an individual; the 90-working-day clock starts.
    Needs supervision.penalty at the department, except when an inspection files it (``via``)."""
    if not via:
        ensure_can(actor, "supervision.penalty", department.org_unit, department)
    text = (facts or "").strip()
    if not text or len(text) > 4000:
        raise ValidationError.for_field("facts", _("is required, at most %d characters") % 4000)
    if entity is not None:
        kind, name, id_number = PartyKind.ENTITY, entity.name, ""
    else:
        kind, name = PartyKind.INDIVIDUAL, (party_name or "").strip()
        if not name or len(name) > 100:
            raise ValidationError.for_field("party_name", _("is required, at most %d characters") % 100)
        try:
            id_number = validate_resident_id(party_id_number)
        except IdentifierError as exc:
            raise ValidationError.for_field("party_id_number", str(exc)) from None
    with transaction.atomic():
        case = PenaltyCase(
            number=f"{department.name[:6]}罚立〔{timezone.localdate().year}〕{secrets.randbelow(10**6):06d}号",
            party_kind=kind,
            entity=entity,
            party_name=name,
            party_id_number=id_number,
            inspection=inspection,
            item=item,
            facts=text,
            org_unit=department.org_unit,
            department=department,
            filed_on=timezone.localdate(),
            created_by=actor,
            state=PENALTY_FLOW.initial,
        )
        PENALTY_FLOW.start_clock(case)
        case.save()
        PENALTY_FLOW.start(case, actor=actor, after={"number": case.number, "party_kind": kind}, via=via)
    return case


def _apply(case: PenaltyCase, name: str, *, actor: Any, note: str = "", expected_version=None, **changes):
    with transaction.atomic():
        PENALTY_FLOW.apply(
            case, name, actor=actor, note=note, expected_version=expected_version, changes=changes
        )
        dated = {k: v for k, v in changes.items() if k.endswith("_on")}
        if dated:
            PenaltyCase.objects.filter(pk=case.pk).update(**dated)
    return case


def penalty_investigate(*, actor: Any, case: PenaltyCase, note: str = "", expected_version=None):
    return _apply(case, "investigate", actor=actor, note=note, expected_version=expected_version)


def penalty_notify(*, actor: Any, case: PenaltyCase, note: str = "", expected_version=None):
    """告知: the party is told the facts, the intended penalty and their right to state their case
    and to ask for a hearing within SUPERVISION_HEARING_REQUEST_DAYS working days."""
    ensure_can_on(actor, "supervision.penalty", case)
    with transaction.atomic():
        PENALTY_FLOW.apply(case, "notify", actor=actor, note=note, expected_version=expected_version)
        case.notified_on = timezone.localdate()
        PenaltyCase.objects.filter(pk=case.pk).update(notified_on=case.notified_on)
    return case


def hearing_window_ends(case: PenaltyCase):
    return add_working_days(case.notified_on, settings.SUPERVISION_HEARING_REQUEST_DAYS)


def penalty_request_hearing(*, actor: Any, case: PenaltyCase, note: str = "", expected_version=None):
    """Record the party's request for a hearing: only within the request window after 告知."""
    ensure_can_on(actor, "supervision.penalty", case)
    today = timezone.localdate()
    if case.state == "notified" and today > hearing_window_ends(case):
        raise _late(_("a hearing had to be requested by %s") % hearing_window_ends(case).isoformat())
    with transaction.atomic():
        PENALTY_FLOW.apply(case, "request_hearing", actor=actor, note=note, expected_version=expected_version)
        case.hearing_requested_on = today
        PenaltyCase.objects.filter(pk=case.pk).update(hearing_requested_on=today)
    return case


def penalty_hold_hearing(*, actor: Any, case: PenaltyCase, note: str, expected_version=None):
    """Record that the hearing was held (听证笔录 summary in ``note``)."""
    if not (note or "").strip():
        raise ValidationError.for_field("note", _("summarize the hearing"))
    with transaction.atomic():
        PENALTY_FLOW.apply(case, "hold_hearing", actor=actor, note=note, expected_version=expected_version)
        case.hearing_held_on = timezone.localdate()
        PenaltyCase.objects.filter(pk=case.pk).update(hearing_held_on=case.hearing_held_on)
    return case


@transaction.atomic
def penalty_decide(
    *,
    actor: Any,
    case: PenaltyCase,
    decision_no: str,
    penalty_kind: str,
    legal_basis: str,
    fine_fen: int | None = None,
    waived_hearing: bool = False,
    expected_version: int | None = None,
) -> PenaltyCase:
    """决定: not before the hearing-request window is over (unless the party waived it in
    writing), not after the case's time limit; published until SUPERVISION_PENALTY_PUBLICITY_DAYS
    later; fires ``supervision.penalty_decided`` and records the penalty with credit."""
    ensure_can_on(actor, "supervision.penalty_decide", case)
    today = timezone.localdate()
    if case.state == "notified" and not waived_hearing and today <= hearing_window_ends(case):
        raise ValidationError(
            _("the party may ask for a hearing until %s; decide after that")
            % hearing_window_ends(case).isoformat(),
            code=SupervisionError.DEADLINE_PASSED,
        )
    if case.sla_deadline and today > case.sla_deadline:
        raise _late(_("the case had to be decided by %s") % case.sla_deadline.isoformat())
    number = (decision_no or "").strip()
    if not number or len(number) > 60:
        raise ValidationError.for_field("decision_no", _("is required, at most %d characters") % 60)
    if penalty_kind not in PenaltyKind.values:
        raise ValidationError.for_field(
            "penalty_kind", _("must be one of %s") % ", ".join(PenaltyKind.values)
        )
    basis = (legal_basis or "").strip()
    if not basis or len(basis) > 500:
        raise ValidationError.for_field("legal_basis", _("is required, at most %d characters") % 500)
    if penalty_kind == PenaltyKind.FINE:
        if isinstance(fine_fen, bool) or not isinstance(fine_fen, int) or not 0 < fine_fen <= 10**12:
            raise ValidationError.for_field("fine_fen", _("a fine in fen greater than 0"))
    else:
        fine_fen = None
    if PenaltyCase.objects.filter(decision_no=number).exclude(pk=case.pk).exists():
        raise Conflict(_("that decision number is used already"))
    until = today + timezone.timedelta(days=settings.SUPERVISION_PENALTY_PUBLICITY_DAYS)
    PENALTY_FLOW.apply(
        case,
        "decide",
        actor=actor,
        expected_version=expected_version,
        data={"waived_hearing": bool(waived_hearing)},
        changes={
            "decision_no": number,
            "penalty_kind": penalty_kind,
            "fine_fen": fine_fen,
            "legal_basis": basis,
        },
    )
    case.decided_on, case.publicity_until = today, until
    PenaltyCase.objects.filter(pk=case.pk).update(decided_on=today, publicity_until=until)
    if case.entity_id:
        credit.credit_event_record(
            actor=actor,
            via="supervision",
            entity=case.entity,
            kind="penalty",
            source_ref=f"penalty:{case.pk}",
            summary=f"{number} {case.get_penalty_kind_display()}",
            occurred_on=today,
            severity=SEVERITY[penalty_kind],
        )
    hooks.run_penalty_decided(case)
    return case


def penalty_serve(*, actor: Any, case: PenaltyCase, note: str = "", expected_version=None):
    """送达: within SUPERVISION_SERVICE_DAYS working days of the decision."""
    ensure_can_on(actor, "supervision.penalty", case)
    today = timezone.localdate()
    if case.decided_on and working_days_between(case.decided_on, today) > settings.SUPERVISION_SERVICE_DAYS:
        raise _late(
            _("the decision had to be served by %s")
            % add_working_days(case.decided_on, settings.SUPERVISION_SERVICE_DAYS).isoformat()
        )
    with transaction.atomic():
        PENALTY_FLOW.apply(case, "serve", actor=actor, note=note, expected_version=expected_version)
        case.served_on = today
        PenaltyCase.objects.filter(pk=case.pk).update(served_on=today)
    return case


def penalty_execute(*, actor: Any, case: PenaltyCase, note: str = "", expected_version=None):
    return _apply(case, "execute", actor=actor, note=note, expected_version=expected_version)


def penalty_close(*, actor: Any, case: PenaltyCase, note: str = "", expected_version=None):
    return _apply(case, "close", actor=actor, note=note, expected_version=expected_version)


def penalty_dismiss(*, actor: Any, case: PenaltyCase, note: str, expected_version=None):
    return _apply(case, "dismiss", actor=actor, note=note, expected_version=expected_version)


@transaction.atomic
def penalty_publicity_remove(*, actor: Any, case: PenaltyCase, reason: str) -> PenaltyCase:
    """Take a decision off publicity before its period ends (e.g. revoked on review)."""
    ensure_can_on(actor, "supervision.penalty_decide", case)
    if case.decided_on is None or case.publicity_removed_at is not None:
        raise Conflict(_("the decision is not published"))
    if not (reason or "").strip():
        raise ValidationError.for_field("reason", _("is required"))
    now = timezone.now()
    PenaltyCase.objects.filter(pk=case.pk).update(publicity_removed_at=now)
    case.publicity_removed_at = now
    audit.record(actor=actor, action="supervision.penalty.publicity_remove", target=case, note=reason.strip())
    return case


ACTIONS = {
    "investigate": penalty_investigate,
    "notify": penalty_notify,
    "request_hearing": penalty_request_hearing,
    "hold_hearing": penalty_hold_hearing,
    "serve": penalty_serve,
    "execute": penalty_execute,
    "close": penalty_close,
    "dismiss": penalty_dismiss,
}
