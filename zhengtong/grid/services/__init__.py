"""Writes of the grid module, one module per use case:

- ``cells``: the GeoJSON import of grid cells, assigning grid workers, patrol check-ins;
- ``incidents``: reporting an incident, its workflow transitions, duplicates, escalation;
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
from zhengtong.grid.services.incidents import (
    category_get,
    clean_attributes,
    duplicates_for,
    escalate_overdue,
    incident_act,
    incident_dispatch,
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
    "incident_act",
    "incident_dispatch",
    "incident_get",
    "incident_report",
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
