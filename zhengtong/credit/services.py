"""Writes of the credit module: facts recorded by other modules, scores, lists, repair."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import can_on, ensure_authenticated, ensure_can
from zhengtong.audit import actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, NotFound, PermissionDenied, ValidationError
from zhengtong.credit import bulk, scoring
from zhengtong.credit.errors import CreditError
from zhengtong.credit.hooks import GRADES_CHANGED, run_grades_changed
from zhengtong.credit.models import (
    CommitmentBreach,
    CreditEvent,
    CreditScore,
    EventKind,
    ListEntry,
    ListKind,
    RepairRequest,
)
from zhengtong.credit.workflows import REPAIR_FLOW
from zhengtong.registry import selectors as registry_selectors

actions.register(
    {
        "credit.event.record": gettext_lazy("Record credit event"),
        "credit.list.add": gettext_lazy("Put entity on a credit list"),
        "credit.list.remove": gettext_lazy("Remove entity from a credit list"),
        "credit.rescore": gettext_lazy("Re-score credit"),
        "credit.report.issue": gettext_lazy("Issue credit report"),
        "credit.breach.record": gettext_lazy("Record a false commitment"),
        "credit.breach.repair": gettext_lazy("Repair a false commitment record"),
    }
)

# A penalty or a finding counts at least this long before it may be repaired (最短公示期).
REPAIR_MIN_DAYS = 90
LIST_MAX_YEARS = 5


# --- facts -------------------------------------------------------------------------------------


def credit_event_record(
    *,
    actor: Any,
    via: str,
    entity: Any,
    kind: str,
    source_ref: str,
    summary: str,
    occurred_on: dt.date,
    severity: int = 1,
) -> CreditEvent:
    """Trusted internal entry point: the module that knows a fact (``via``, e.g. supervision for a
    penalty decision) records it once per ``source_ref`` (idempotent) and the entity is re-scored
    in the same transaction. ``actor`` is the person whose action produced the fact."""
    if not via:
        raise ValueError("credit_event_record needs via (the calling module)")
    if kind not in EventKind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(EventKind.values))
    if not 1 <= int(severity) <= 3:
        raise ValidationError.for_field("severity", _("must be between 1 and 3"))
    with transaction.atomic():
        event, created = CreditEvent.objects.get_or_create(
            source_ref=source_ref[:64],
            defaults={
                "entity": entity,
                "kind": kind,
                "severity": severity,
                "summary": summary[:300],
                "occurred_on": occurred_on,
                "org_unit": entity.org_unit,
            },
        )
        if created:
            audit.record(
                actor=actor,
                via=via,
                action="credit.event.record",
                target=event,
                org_unit=entity.org_unit,
                after={"entity": entity.uscc, "kind": kind, "severity": severity, "source": source_ref},
            )
            rescore(entity_ids=[entity.pk])
    return event


def commitment_breach_record(
    *,
    actor: Any,
    via: str,
    source_ref: str,
    summary: str,
    org_unit: Any,
    person: Any = None,
    entity: Any = None,
) -> CommitmentBreach:
    """Trusted internal entry point: the module that verified a commitment false (``via``, e.g.
    services' 核查) records it once per ``source_ref`` (idempotent), for a person or an entity.
    Until repaired it flags the subject (``Measures.flagged``)."""
    if not via:
        raise ValueError("commitment_breach_record needs via (the calling module)")
    if (person is None) == (entity is None):
        raise ValueError("a false commitment is a person's or an entity's")
    breach, created = CommitmentBreach.objects.get_or_create(
        source_ref=source_ref[:64],
        defaults={
            "person": person,
            "entity": entity,
            "summary": summary[:300],
            "recorded_on": timezone.localdate(),
            "org_unit": org_unit,
        },
    )
    if created:
        audit.record(
            actor=actor,
            via=via,
            action="credit.breach.record",
            target=breach,
            org_unit=org_unit,
            after={"subject": entity.uscc if entity else f"person:{person.pk}", "source": source_ref},
        )
    return breach


@transaction.atomic
def commitment_breach_repair(*, actor: Any, breach: CommitmentBreach, note: str) -> CommitmentBreach:
    """Repair a false commitment record (信用修复; credit.repair at its org unit): it no longer
    excludes the subject from 告知承诺 and 容缺受理."""
    ensure_can(actor, "credit.repair", breach.org_unit)
    note = (note or "").strip()
    if not note:
        raise ValidationError.for_field("note", _("is required"))
    if len(note) > 300:
        raise ValidationError.for_field("note", _("at most %d characters") % 300)
    updated = CommitmentBreach.objects.filter(pk=breach.pk, repaired_at__isnull=True).update(
        repaired_at=timezone.now(), repair_note=note
    )
    if not updated:
        raise Conflict(_("the record has been repaired already"), code=CreditError.NOT_LISTED)
    audit.record(
        actor=actor,
        action="credit.breach.repair",
        target=breach,
        org_unit=breach.org_unit,
        after={"note": note},
    )
    breach.refresh_from_db()
    return breach


# --- scores ------------------------------------------------------------------------------------


def _facts_for(entity_ids: list[int]) -> dict[int, scoring.Facts]:
    since = timezone.localdate() - dt.timedelta(days=365 * settings.CREDIT_LOOKBACK_YEARS)
    facts = {
        pk: scoring.Facts(status=status)
        for pk, status in registry_selectors.legal_entity_statuses(entity_ids).items()
    }
    for pk, states in registry_selectors.licence_state_counts(entity_ids).items():
        if pk in facts:
            facts[pk].licences = states
    rows = (
        CreditEvent.objects.filter(entity_id__in=entity_ids, occurred_on__gte=since, repaired_at__isnull=True)
        .values("entity_id", "kind", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        facts[row["entity_id"]].events.extend([(row["kind"], row["severity"])] * row["n"])
    today = timezone.localdate()
    live = ListEntry.objects.filter(
        entity_id__in=entity_ids, removed_at__isnull=True, listed_on__lte=today, until__gte=today
    ).values_list("entity_id", "kind")
    for pk, kind in live:
        if kind == ListKind.BLACK:
            facts[pk].black_listed = True
        else:
            facts[pk].red_listed = True
    return facts


def rescore(*, entity_ids: list[int], now: dt.datetime | None = None) -> int:
    """Evaluate the given entities one by one with the published model (``scoring.evaluate``, the
    reference the set-based ``bulk`` path is tested against) and store their scores (one upsert
    per chunk); entities whose grade changed fire ``credit.grades_changed``. Returns how many
    were scored. Not audited per entity: the inputs are."""
    now = now or timezone.now()
    done = 0
    for start in range(0, len(entity_ids), 2000):
        chunk = entity_ids[start : start + 2000]
        old = dict(CreditScore.objects.filter(entity_id__in=chunk).values_list("entity_id", "grade"))
        rows, changes = [], []
        for pk, facts in _facts_for(chunk).items():
            score, grade, factors = scoring.evaluate(facts)
            if old.get(pk) != grade:
                changes.append((pk, old.get(pk), grade))
            rows.append(
                CreditScore(
                    entity_id=pk,
                    score=score,
                    grade=grade,
                    factors=factors,
                    model_version=scoring.MODEL_VERSION,
                    computed_at=now,
                )
            )
        CreditScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["entity"],
            update_fields=["score", "grade", "factors", "model_version", "computed_at"],
        )
        run_grades_changed(sorted(changes))
        done += len(rows)
    return done


def rescore_population_small(queryset=None, *, now: dt.datetime | None = None, batch: int = 20_000) -> dict:
    """``bulk.rescore_population`` on SQLite: the per-entity path in batches, same result shape."""
    ids = list(
        (queryset if queryset is not None else registry_selectors.legal_entities_active()).values_list(
            "id", flat=True
        )
    )
    transitions: dict[str, int] = {}

    def count(*, changes) -> None:
        for _pk, old, new in changes:
            key = f"{old or '-'}→{new}"
            transitions[key] = transitions.get(key, 0) + 1

    GRADES_CHANGED.connect(count)
    try:
        for start in range(0, len(ids), batch):
            with transaction.atomic():
                rescore(entity_ids=ids[start : start + batch], now=now)
    finally:
        GRADES_CHANGED.disconnect(count)
    return {"entities": len(ids), "written": len(ids), "grade_changes": dict(sorted(transitions.items()))}


def rescore_all(*, actor: Any = None) -> int:
    """Re-score every active legal entity (periodic task and the staff button), set-based on
    PostgreSQL (``credit.bulk``); audited once, with the number of grade changes per transition."""
    if actor is not None:
        ensure_can(actor, "credit.manage")
    result = bulk.rescore_population()
    with transaction.atomic():
        audit.record(
            actor=actor,
            via="" if actor is not None else "credit",
            action="credit.rescore",
            target_type="credit.model",
            target_id=scoring.MODEL_VERSION,
            target_label=scoring.MODEL_VERSION,
            after=result,
        )
    return result["entities"]


# --- lists -------------------------------------------------------------------------------------


@transaction.atomic
def list_entry_add(
    *,
    actor: Any,
    entity: Any,
    kind: str,
    legal_basis: str,
    reason: str,
    until: dt.date,
    department: Any,
) -> ListEntry:
    """Put an entity on the red or black list with its legal basis and duration (at most five
    years); needs credit.manage at the department's unit. The entity is re-scored."""
    ensure_can(actor, "credit.manage", department.org_unit, department)
    if kind not in ListKind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(ListKind.values))
    basis = (legal_basis or "").strip()
    if not basis:
        raise ValidationError.for_field("legal_basis", _("a legal basis is required"))
    if len(basis) > 300:
        raise ValidationError.for_field("legal_basis", _("at most %d characters") % 300)
    why = (reason or "").strip()
    if not why:
        raise ValidationError.for_field("reason", _("is required"))
    if len(why) > 500:
        raise ValidationError.for_field("reason", _("at most %d characters") % 500)
    today = timezone.localdate()
    if not isinstance(until, dt.date) or until <= today:
        raise ValidationError.for_field("until", _("must be a date after today"))
    if until > today + dt.timedelta(days=365 * LIST_MAX_YEARS + 1):
        raise ValidationError.for_field("until", _("at most %d years") % LIST_MAX_YEARS)
    if ListEntry.objects.filter(entity=entity, kind=kind, removed_at__isnull=True, until__gte=today).exists():
        raise Conflict(_("the entity is already on that list"), code=CoreError.DUPLICATE)
    entry = ListEntry.objects.create(
        entity=entity,
        kind=kind,
        legal_basis=basis,
        reason=why,
        listed_on=today,
        until=until,
        org_unit=department.org_unit,
        department=department,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="credit.list.add",
        target=entry,
        after={"entity": entity.uscc, "kind": kind, "until": until.isoformat(), "legal_basis": basis},
    )
    rescore(entity_ids=[entity.pk])
    return entry


def _end_entry(entry: ListEntry, *, actor: Any, reason: str, via: str = "") -> None:
    ListEntry.objects.filter(pk=entry.pk).update(removed_at=timezone.now(), removal_reason=reason[:300])
    audit.record(
        actor=actor,
        via=via,
        action="credit.list.remove",
        target=entry,
        after={"entity": entry.entity.uscc, "kind": entry.kind, "reason": reason[:300]},
    )
    rescore(entity_ids=[entry.entity_id])


@transaction.atomic
def list_entry_remove(*, actor: Any, entry: ListEntry, reason: str) -> ListEntry:
    """End a list entry before its term (credit.manage at its department)."""
    ensure_can_on_entry(actor, entry)
    if entry.removed_at is not None:
        raise Conflict(_("the entry has ended already"), code=CreditError.NOT_LISTED)
    if not (reason or "").strip():
        raise ValidationError.for_field("reason", _("is required"))
    _end_entry(entry, actor=actor, reason=reason.strip())
    entry.refresh_from_db()
    return entry


def ensure_can_on_entry(actor: Any, entry: ListEntry) -> None:
    ensure_can(actor, "credit.manage", entry.org_unit, entry.department)


# --- repair ------------------------------------------------------------------------------------


def _may_act_for(actor: Any, entity: Any) -> bool:
    return registry_selectors.may_act_for(actor, entity)


@transaction.atomic
def repair_submit(
    *,
    actor: Any,
    entity: Any,
    reason: str,
    commitment: bool,
    event: CreditEvent | None = None,
    list_entry: ListEntry | None = None,
) -> RepairRequest:
    """An entity (its representative or an authorized agent) asks to repair one record. Refused
    before the minimum publicity period (REPAIR_MIN_DAYS), for a repaired record, or while another
    request for it is open; decided within CREDIT_REPAIR_DAYS working days."""
    ensure_authenticated(actor)
    if not _may_act_for(actor, entity):
        raise PermissionDenied(_("you may not act for this entity"))
    if (event is None) == (list_entry is None):
        raise ValidationError.for_field("record", _("choose exactly one record to repair"))
    today = timezone.localdate()
    if event is not None:
        if event.entity_id != entity.pk:
            raise NotFound(_("no such record"))
        if event.kind not in (
            EventKind.PENALTY,
            EventKind.INSPECTION_FAIL,
            EventKind.ARREARS,
            EventKind.COMPLAINT,
        ):
            raise ValidationError.for_field("record", _("only negative records can be repaired"))
        if event.repaired_at is not None or (today - event.occurred_on).days < REPAIR_MIN_DAYS:
            raise Conflict(
                _("this record can be repaired %d days after it was made, and only once") % REPAIR_MIN_DAYS,
                code=CreditError.REPAIR_NOT_ALLOWED,
            )
        open_q = RepairRequest.objects.filter(event=event, state="submitted")
    else:
        if list_entry.entity_id != entity.pk or list_entry.kind != ListKind.BLACK:
            raise NotFound(_("no such record"))
        if list_entry.removed_at is not None or list_entry.until < today:
            raise Conflict(_("the entry has ended already"), code=CreditError.NOT_LISTED)
        if (today - list_entry.listed_on).days < 365:
            raise Conflict(
                _("a serious dishonesty listing can be repaired one year after it began"),
                code=CreditError.REPAIR_NOT_ALLOWED,
            )
        open_q = RepairRequest.objects.filter(list_entry=list_entry, state="submitted")
    if open_q.exists():
        raise Conflict(_("a repair request for this record is already open"), code=CreditError.REPAIR_PENDING)
    text = (reason or "").strip()
    if len(text) < 10:
        raise ValidationError.for_field("reason", _("describe the rectification (at least 10 characters)"))
    if len(text) > 4000:
        raise ValidationError.for_field("reason", _("at most %d characters") % 4000)
    if not commitment:
        raise ValidationError.for_field("commitment", _("the credit commitment must be signed"))
    request = RepairRequest(
        number="XF" + today.strftime("%Y%m%d") + f"{secrets.randbelow(10**8):08d}",
        entity=entity,
        event=event,
        list_entry=list_entry,
        reason=text,
        commitment=True,
        applicant=actor,
        org_unit=(event or list_entry).org_unit,
        state=REPAIR_FLOW.initial,
    )
    REPAIR_FLOW.start_clock(request)
    request.save()
    REPAIR_FLOW.start(request, actor=actor, after={"entity": entity.uscc, "number": request.number})
    return request


@transaction.atomic
def repair_approve(
    *, actor: Any, request: RepairRequest, note: str = "", expected_version: int | None = None
):
    """Approve: the record no longer counts (and is no longer published) or the listing ends."""
    REPAIR_FLOW.apply(
        request,
        "approve",
        actor=actor,
        note=note,
        changes={"decision_note": note[:500]},
        expected_version=expected_version,
    )
    if request.event_id:
        CreditEvent.objects.filter(pk=request.event_id).update(repaired_at=timezone.now())
        rescore(entity_ids=[request.entity_id])
    else:
        _end_entry(
            request.list_entry, actor=actor, reason=_("credit repaired (%s)") % request.number, via="credit"
        )
    return request


@transaction.atomic
def repair_reject(*, actor: Any, request: RepairRequest, note: str, expected_version: int | None = None):
    REPAIR_FLOW.apply(
        request,
        "reject",
        actor=actor,
        note=note,
        changes={"decision_note": (note or "")[:500]},
        expected_version=expected_version,
    )
    return request


@transaction.atomic
def repair_withdraw(*, actor: Any, request: RepairRequest, expected_version: int | None = None):
    REPAIR_FLOW.apply(request, "withdraw", actor=actor, expected_version=expected_version)
    return request


def may_handle_repair(actor: Any, request: RepairRequest) -> bool:
    return can_on(actor, "credit.repair", request)
