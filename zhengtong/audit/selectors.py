from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhengtong.audit.models import AuditEvent
from zhengtong.core.authz import can, ensure_can, scope_q
from zhengtong.core.errors import NotFound


def audit_events_for(
    actor: Any,
    *,
    action: str = "",
    actor_label: str = "",
    target_type: str = "",
    target_id: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events in the actor's scope (audit.view): events of org units in their subtree.

    Events with no org unit (platform-level: logins, imports) are visible to platform-wide
    auditors only, i.e. to grants at the root or superusers.
    """
    ensure_can(actor, "audit.view")
    qs = AuditEvent.objects.filter(scope_q(actor, "audit.view", path_field="org_unit_path"))
    if action:
        qs = qs.filter(action__startswith=action)
    if actor_label:
        qs = qs.filter(actor_label=actor_label)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    if since:
        qs = qs.filter(occurred_at__date__gte=since)
    if until:
        qs = qs.filter(occurred_at__date__lte=until)
    return qs


def audit_event_for_proof(actor: Any, event_id: int) -> AuditEvent:
    """An event whose inclusion proof the actor may obtain: one they may see as an auditor, or one
    recording their own action. Anything else is "not found" (its existence is not disclosed)."""
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("no such audit event"))
    if actor is not None and getattr(actor, "pk", None) is not None and event.actor_id == actor.pk:
        return event
    if (
        can(actor, "audit.view")
        and AuditEvent.objects.filter(
            scope_q(actor, "audit.view", path_field="org_unit_path"), pk=event_id
        ).exists()
    ):
        return event
    raise NotFound(_("no such audit event"))


def audit_events_with_actions(actions: tuple[str, ...]) -> QuerySet[AuditEvent]:
    """Every event of these actions, for aggregates (the cockpit's security events): counted by
    day, org unit and action, never shown one by one through this selector."""
    return AuditEvent.objects.filter(action__in=actions)


def audit_events_by_users() -> QuerySet[AuditEvent]:
    """Every event a signed-in user caused, for aggregates (the cockpit's active users): counted
    by day, user, unit, channel and module, never shown one by one through this selector."""
    return AuditEvent.objects.filter(actor_id__isnull=False)


def audit_history_of(target_type: str, target_id: str, actions: tuple[str, ...]) -> QuerySet[AuditEvent]:
    """The events of these actions on one object, newest first: the history a page shows to
    those the calling module has allowed to manage the object (the caller checks)."""
    return AuditEvent.objects.filter(
        target_type=target_type, target_id=str(target_id), action__in=actions
    ).order_by("-occurred_at", "-id")
