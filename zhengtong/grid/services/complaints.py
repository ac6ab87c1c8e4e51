"""Citizens' complaints (12345 work orders of the workorders module) handled as incidents: the
trusted entry points on both sides of that hand-over.

- ``incident_report_for_work_order``: the incident a complaint becomes, reported by the citizen
  whose complaint it is, via "workorders" (the workorders ``on_opened`` hook calls it through
  ``grid.complaints``).
- ``answer_work_orders``: when the incident closes, its work order (and those of incidents merged
  into it) is answered through ``workorders.services.work_order_answer``, recorded as the
  staff member who closed the incident, via "grid".
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.grid.models import Category, Incident
from zhengtong.grid.services.incidents import incident_report
from zhengtong.workorders import services as workorder_services

logger = logging.getLogger(__name__)


def incident_report_for_work_order(
    *, work_order: Any, category: Category, lat: float, lng: float, attributes: dict[str, Any]
) -> Incident:
    """Trusted internal entry point: report the incident a citizen's complaint (a work order of
    the workorders module) became. The reporter and the actor on the timeline and in the audit
    trail are the work order's requester (else whoever opened it), via "workorders"; the location
    must lie in a grid cell within the work order's region. The work-order number is kept on the
    incident."""
    reporter = work_order.requester or work_order.created_by
    return incident_report(
        actor=reporter,
        category=category,
        lat=lat,
        lng=lng,
        description=f"{work_order.title}\n{work_order.description}"[:4000],
        source=Incident.Source.COMPLAINT,
        attributes=attributes,
        reporter_name=getattr(work_order.requester, "display_name", "") or "",
        reporter_phone=work_order.contact_phone,
        within=work_order.region,
        work_order=work_order.number,
        via="workorders",
    )


def answer_work_orders(incident: Incident, *, actor: Any = None, note: str = "") -> list[str]:
    """The incident closed: answer its work order and those of the incidents merged into it, as
    ``actor`` (who closed it) via "grid". Returns the numbers answered. A work order that cannot
    be answered (already answered or closed, or no department to give it to) is left to the
    hotline, and logged."""
    numbers = [incident.work_order] if incident.work_order else []
    numbers += list(
        Incident.objects.filter(merged_into=incident)
        .exclude(work_order="")
        .values_list("work_order", flat=True)
    )
    return [number for number in numbers if _answer(number, incident, note, actor)]


def _answer(number: str, incident: Incident, note: str, actor: Any) -> bool:
    try:
        order = workorder_services.work_order_get_by_number(number)
    except NotFound:
        return False
    if order.state not in workorder_services.ANSWERABLE_STATES:
        return False
    if order.state in ("submitted", "returned") and incident.handling_department_id is None:
        logger.info("work order %s: not dispatched and no department to answer it", number)
        return False
    reply = _("Handled through grid governance: incident #%(id)d was closed on %(date)s.") % {
        "id": incident.pk,
        "date": (incident.closed_at or incident.updated_at).date().isoformat(),
    }
    if note.strip():
        reply += " " + note.strip()
    try:
        with transaction.atomic():
            workorder_services.work_order_answer(
                actor=actor,
                via="grid",
                work_order=order,
                reply=reply[:4000],
                department=incident.handling_department,
                note=_("handled as grid incident #%d") % incident.pk,
            )
    except (Conflict, ValidationError, PermissionDenied) as exc:
        logger.warning("work order %s could not be answered from incident #%s: %s", number, incident.pk, exc)
        return False
    return True
