from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from zhengtong.audit.models import AuditEvent
from zhengtong.core.authz import ensure_can, scope_q


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
