"""The incident workflow, one function per transition (GB/T 30428.8 立案、处置和结案).

Each function takes only its own arguments, checks that a department handler acts only on what
was dispatched to their department, and leaves the role check, the state check, the version
check, the timeline and the audit event to the workflow (``grid/workflows.py``). A stale
``expected_version`` is a Conflict.

``escalate_overdue`` is the internal entry point of the SLA scan: no person acts, so the
timeline and the audit trail record the system (actor None) via "grid".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, grants_of, in_subtree
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.grid.models import CLOSED_STATES, Incident
from zhengtong.grid.services.complaints import answer_work_orders
from zhengtong.grid.services.routing import route
from zhengtong.notify.services import notify

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department, OrgUnit

VIA = "grid"


def _handler_departments(actor: Any) -> set[int] | None:
    """The departments a pure department handler works for; None for everyone else (their org
    scope decides)."""
    if getattr(actor, "is_superuser", False):
        return None
    grants = [g for g in grants_of(actor) if g.allows("grid.dispose") or g.allows("grid.view")]
    if not grants or any(g.department_id is None or g.allows("grid.dispatch") for g in grants):
        return None
    return {g.department_id for g in grants}


def _check(actor: Any, incident: Incident, action: str) -> None:
    """Who may try: an authenticated user; a department handler only on their department's
    incidents (the workflow checks the role at the incident's unit)."""
    ensure_authenticated(actor)
    t = Incident.workflow.transition(action)
    handler_departments = _handler_departments(actor)
    if handler_departments is not None and incident.handling_department_id not in handler_departments:
        raise PermissionDenied(_("you may not “%s” this item") % t.label)


def _apply(
    *,
    actor: Any,
    incident: Incident,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    via: str = "",
) -> Incident:
    Incident.workflow.apply(
        incident,
        action,
        actor=actor,
        note=note,
        data=data or {},
        changes=changes or {},
        expected_version=expected_version,
        via=via,
    )
    return incident


def _simple(
    action: str, *, actor: Any, incident: Incident, note: str = "", expected_version: int | None
) -> Incident:
    """A transition that writes only its note as the status notes (reject, return, suspend,
    resume, verify, verify_fail)."""
    _check(actor, incident, action)
    return _apply(
        actor=actor,
        incident=incident,
        action=action,
        note=note,
        expected_version=expected_version,
        changes={"status_notes": note[:300]} if action not in ("resume", "verify") else {},
    )


# --- command staff: register, reject, merge, reopen ----------------------------------------


@transaction.atomic
def incident_register(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Register (立案) a reported incident; its clock restarts."""
    _check(actor, incident, "register")
    return _apply(
        actor=actor, incident=incident, action="register", note=note, expected_version=expected_version
    )


@transaction.atomic
def incident_reject(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Reject a reported incident; ``note`` (the reason) is required and becomes the status notes."""
    return _simple("reject", actor=actor, incident=incident, note=note, expected_version=expected_version)


@transaction.atomic
def incident_merge(
    *,
    actor: Any,
    incident: Incident,
    merge_into: Incident | None,
    note: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Merge (并单) ``incident`` into ``merge_into``, an open incident of the same category."""
    _check(actor, incident, "merge")
    if merge_into is None or merge_into.pk == incident.pk:
        raise ValidationError.for_field("merge_into", _("choose the incident to merge into"))
    if merge_into.category_id != incident.category_id or merge_into.state in CLOSED_STATES:
        raise ValidationError.for_field("merge_into", _("must be an open incident of the same category"))
    return _apply(
        actor=actor,
        incident=incident,
        action="merge",
        note=note,
        expected_version=expected_version,
        changes={"merged_into_id": merge_into.pk, "status_notes": _("merged into #%d") % merge_into.pk},
        data={"into": merge_into.pk},
    )


@transaction.atomic
def incident_reopen(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Reopen a closed or rejected incident (registered again, clock restarted); needs a reason."""
    _check(actor, incident, "reopen")
    return _apply(
        actor=actor,
        incident=incident,
        action="reopen",
        note=note,
        expected_version=expected_version,
        changes={"status_notes": note[:300], "closed_at": None},
    )


# --- dispatch, reassign, suspend, resume -----------------------------------------------------


def _dispatch_changes(
    incident: Incident, department: Department | None, unit: OrgUnit | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Where it goes: ``department`` or ``unit`` (a township, county or city covering the
    location), else where the routing rules say."""
    if department is None and unit is None:
        department, unit = route(incident)
    if department is not None:
        if not in_subtree(incident.org_unit.path, department.org_unit.path):
            raise ValidationError.for_field("department", _("the department does not cover this location"))
        changes = {"handling_department_id": department.pk, "handling_unit_id": department.org_unit_id}
        to = department.name
    else:
        if unit.level not in ("township", "county", "city") or not in_subtree(
            incident.org_unit.path, unit.path
        ):
            raise ValidationError.for_field("unit", _("choose a township that covers this location"))
        changes = {"handling_department_id": None, "handling_unit_id": unit.pk}
        to = unit.name
    changes["status_notes"] = _("dispatched to %s") % to
    return changes, {"to": to}


@transaction.atomic
def incident_dispatch(
    *,
    actor: Any,
    incident: Incident,
    department: Department | None = None,
    unit: OrgUnit | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Dispatch (派遣) a registered incident to ``department`` or ``unit``; with neither, where
    the routing rules route it (``route``)."""
    _check(actor, incident, "dispatch")
    changes, data = _dispatch_changes(incident, department, unit)
    return _apply(
        actor=actor,
        incident=incident,
        action="dispatch",
        note=note,
        expected_version=expected_version,
        changes=changes,
        data=data,
    )


@transaction.atomic
def incident_reassign(
    *,
    actor: Any,
    incident: Incident,
    note: str = "",
    department: Department | None = None,
    unit: OrgUnit | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Reassign (改派) a dispatched incident, like ``incident_dispatch``; needs a reason."""
    _check(actor, incident, "reassign")
    changes, data = _dispatch_changes(incident, department, unit)
    return _apply(
        actor=actor,
        incident=incident,
        action="reassign",
        note=note,
        expected_version=expected_version,
        changes=changes,
        data=data,
    )


@transaction.atomic
def incident_quick_dispatch(
    *, actor: Any, incident: Incident, expected_version: int | None = None
) -> Incident:
    """One-click dispatch (command room): register first when needed, then dispatch where the
    rules route it."""
    if incident.state == "reported":
        incident_register(actor=actor, incident=incident, expected_version=expected_version)
        expected_version = None
    return incident_dispatch(actor=actor, incident=incident, expected_version=expected_version)


@transaction.atomic
def incident_suspend(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Suspend a dispatched incident: its clock pauses (the seconds left are kept); needs a reason."""
    return _simple("suspend", actor=actor, incident=incident, note=note, expected_version=expected_version)


@transaction.atomic
def incident_resume(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Resume a suspended incident: dispatched again, the clock runs on with the seconds left."""
    return _simple("resume", actor=actor, incident=incident, note=note, expected_version=expected_version)


# --- handlers: dispose, return, escalate ------------------------------------------------------


@transaction.atomic
def incident_dispose(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Report the disposal (处置); the grid worker who reported it is told to verify on site
    (an inbox message, after commit)."""
    _check(actor, incident, "dispose")
    _apply(
        actor=actor,
        incident=incident,
        action="dispose",
        note=note,
        expected_version=expected_version,
        changes={"disposed_at": timezone.now(), "status_notes": note[:300] or _("disposed")},
    )
    if incident.reporter_id is not None:
        notify(
            recipient=incident.reporter,
            event="grid.incident.disposed",
            title=_("Incident #%d was disposed: please verify on site") % incident.pk,
            link=f"/grid/incidents/{incident.pk}/",
        )
    return incident


@transaction.atomic
def incident_return(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Return (退回) a dispatched incident to registered; needs a reason."""
    return _simple("return", actor=actor, incident=incident, note=note, expected_version=expected_version)


def _escalation_target(incident: Incident) -> OrgUnit | None:
    current = incident.handling_unit or account_selectors.org_unit_by_id(incident.township_id)
    if incident.handling_department_id:
        current = incident.handling_department.org_unit
    parent = current.parent
    if parent is None or incident.escalation_level >= settings.GRID_MAX_ESCALATION:
        return None
    return parent


def _escalate(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None, via: str
) -> Incident:
    target = _escalation_target(incident)
    if target is None:
        raise ValidationError.for_field("action", _("the incident is at the highest level already"))
    return _apply(
        actor=actor,
        incident=incident,
        action="escalate",
        note=note,
        expected_version=expected_version,
        changes={
            "escalation_level": incident.escalation_level + 1,
            "handling_unit_id": target.pk,
            "handling_department_id": None,
            "status_notes": _("escalated to %s") % target.name,
        },
        data={"to": target.name},
        via=via,
    )


@transaction.atomic
def incident_escalate(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Escalate (上报) to the next level up (the department's or township's parent), at most
    GRID_MAX_ESCALATION levels; the clock restarts. Needs a reason."""
    _check(actor, incident, "escalate")
    return _escalate(actor=actor, incident=incident, note=note, expected_version=expected_version, via="")


def escalate_overdue(ids: list[int]) -> int:
    """Internal entry point of the SLA scan (``on_overdue``): escalate these newly overdue
    incidents that are still registered or dispatched one level up. No person acts: the
    timeline and the audit events record the system (actor None) via "grid". An incident at the
    highest level, or changed meanwhile, is skipped. Returns how many were escalated."""
    count = 0
    qs = Incident.objects.filter(pk__in=ids, state__in=["registered", "dispatched"]).select_related(
        "category", "handling_department__org_unit", "handling_unit__parent", "org_unit"
    )
    for incident in qs:
        if incident.escalation_level >= settings.GRID_MAX_ESCALATION:
            continue
        try:
            with transaction.atomic():
                _escalate(
                    actor=None, incident=incident, note=_("time limit passed"), expected_version=None, via=VIA
                )
            count += 1
        except (Conflict, ValidationError):
            continue
    return count


# --- the grid worker: verify, verify_fail; command staff: close --------------------------------


@transaction.atomic
def incident_verify(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Verify (核查) the disposal on site."""
    return _simple("verify", actor=actor, incident=incident, note=note, expected_version=expected_version)


@transaction.atomic
def incident_verify_fail(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Verification failed: back to the handler (dispatched); needs a reason."""
    return _simple(
        "verify_fail", actor=actor, incident=incident, note=note, expected_version=expected_version
    )


@transaction.atomic
def incident_close(
    *, actor: Any, incident: Incident, note: str = "", expected_version: int | None = None
) -> Incident:
    """Close (结案) a verified incident: the clock stops, and the citizens' complaints (12345
    work orders) behind it or behind incidents merged into it are answered, recorded as the
    closing actor's via "grid" (``answer_work_orders``)."""
    _check(actor, incident, "close")
    _apply(
        actor=actor,
        incident=incident,
        action="close",
        note=note,
        expected_version=expected_version,
        changes={"closed_at": timezone.now(), "status_notes": note[:300] or _("closed")},
    )
    answer_work_orders(incident, actor=actor, note=note)
    return incident
