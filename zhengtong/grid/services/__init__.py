"""Writes of the grid module, one module per use case:

- ``cells``: the GeoJSON import of grid cells, assigning grid workers, patrol check-ins;
- ``incidents``: reporting an incident, duplicates, reading one;
- ``transitions``: one function per workflow transition (``incident_register``,
  ``incident_dispatch``, ...), the command room's one-click dispatch, and ``escalate_overdue``
  (the SLA scan's entry point: actor None, via "grid");
- ``complaints``: the trusted hand-over with citizens' complaints (12345 work orders);
- ``photos``: incident photos (original kept privately, a stripped copy for the public);
- ``routing``: where an incident goes (the grid domain of workorders' one routing table);
- ``keys``: Open311 keys (accounts credentials of kind ``open311_key``);
- ``stats``: the incident statistics and their publication in the catalogue.

Every function checks permission, validates, writes and records its audit event in one
transaction (the workflow mechanism records transitions itself). The names below are the
public API: ``from zhengtong.grid.services import incident_report`` keeps working.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.grid.services.cells import cell_assign, cells_import, patrol_check_in
from zhengtong.grid.services.complaints import answer_work_orders, incident_report_for_work_order
from zhengtong.grid.services.incidents import (
    category_get,
    clean_attributes,
    duplicates_for,
    incident_get,
    incident_report,
    parse_coordinate,
)
from zhengtong.grid.services.keys import open311_key_authenticate, open311_key_create, open311_key_revoke
from zhengtong.grid.services.photos import PHOTO_FORMATS, check_image, photo_add, photo_root, strip_image
from zhengtong.grid.services.routing import route, routing_rule_create
from zhengtong.grid.services.stats import (
    STATS_FIELDS,
    STATS_RESOURCE,
    incident_stats_refresh,
    stats_csv_bytes,
)
from zhengtong.grid.services.transitions import (
    escalate_overdue,
    incident_close,
    incident_dispatch,
    incident_dispose,
    incident_escalate,
    incident_merge,
    incident_quick_dispatch,
    incident_reassign,
    incident_register,
    incident_reject,
    incident_reopen,
    incident_resume,
    incident_return,
    incident_suspend,
    incident_verify,
    incident_verify_fail,
)

audit_actions.register(
    {
        "grid.cells.import": gettext_lazy("Import grid cells"),
        "grid.cell.assign": gettext_lazy("Assign grid worker to cell"),
        "grid.photo.add": gettext_lazy("Add incident photo"),
        "grid.patrol.check_in": gettext_lazy("Patrol check-in"),
        "grid.open311_key.create": gettext_lazy("Issue Open311 key"),
        "grid.open311_key.revoke": gettext_lazy("Revoke Open311 key"),
    }
)

__all__ = [
    "PHOTO_FORMATS",
    "STATS_FIELDS",
    "STATS_RESOURCE",
    "category_get",
    "cell_assign",
    "cells_import",
    "check_image",
    "clean_attributes",
    "duplicates_for",
    "escalate_overdue",
    "answer_work_orders",
    "incident_close",
    "incident_dispatch",
    "incident_dispose",
    "incident_escalate",
    "incident_get",
    "incident_merge",
    "incident_quick_dispatch",
    "incident_reassign",
    "incident_register",
    "incident_reject",
    "incident_reopen",
    "incident_report",
    "incident_report_for_work_order",
    "incident_resume",
    "incident_return",
    "incident_suspend",
    "incident_verify",
    "incident_verify_fail",
    "incident_stats_refresh",
    "open311_key_authenticate",
    "open311_key_create",
    "open311_key_revoke",
    "parse_coordinate",
    "patrol_check_in",
    "photo_add",
    "photo_root",
    "route",
    "routing_rule_create",
    "stats_csv_bytes",
    "strip_image",
]
