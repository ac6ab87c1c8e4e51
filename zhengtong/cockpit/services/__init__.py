"""Writes and composed reads of the cockpit, one module per use case:

- ``materialize``: the indicator store, incremental and recomputed;
- ``dashboard``: a unit's cockpit and drill-through, checked against ``cockpit.view``;
- ``alerts``: threshold alerts and their notification;
- ``evaluation``: performance evaluation, ranks and rectification work orders;
- ``opendata_index``: the open-data index and its publication;
- ``feeds``: live feeds, signed pushes, windows and threshold events;
- ``exports``: XLSX and the PDF briefing;
- ``probes``: availability checks of the platform itself.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions

audit_actions.register(
    {
        "cockpit.alert.acknowledge": gettext_lazy("Acknowledge cockpit alert"),
        "cockpit.evaluation.run": gettext_lazy("Run performance evaluation"),
        "cockpit.rectifications.open": gettext_lazy("Open rectification work orders"),
        "cockpit.feed.create": gettext_lazy("Create live feed"),
        "cockpit.feed.key": gettext_lazy("Issue live feed key"),
        "cockpit.feed.key_revoke": gettext_lazy("Revoke live feed key"),
        "cockpit.export": gettext_lazy("Export cockpit"),
    }
)
