"""How the grid module plugs into the platform, installed once by ``GridConfig.ready()``:
permissions and roles, the SLA clocks of incidents, the daily task, the console menu, the
per-process caches' invalidation, and the workorders hook that turns complaints into incidents."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.grid import complaints, geo, indicators, open311, permissions, tasks
from zhengtong.grid.models import Category, Incident
from zhengtong.workorders.hooks import on_opened


def install() -> None:
    indicators.install()
    permissions.install()
    _connect_cache_invalidation()
    _connect_complaints()
    sla.register(Incident, on_overdue=tasks.on_overdue)
    register_periodic("grid.daily", tasks.daily_task, settings.GRID_STATS_INTERVAL_SECONDS)
    register_nav("console", "grid:workbench", _("Grid workbench"), permission="grid.report", order=60)
    register_nav(
        "main", "grid:workbench", _("Grid workbench"), permission="grid.report", order=10, audiences=("grid",)
    )
    register_nav(
        "main",
        "grid:report",
        _("Report an incident"),
        permission="grid.report",
        order=11,
        audiences=("grid",),
    )
    register_nav("console", "grid:command_room", _("Command room"), permission="grid.dispatch", order=61)
    register_nav("console", "grid:incidents", _("Incidents"), permission="grid.view", order=62)
    register_nav("console", "grid:reports", _("Reports (一表通)"), permission="grid.reports", order=63)
    register_nav("console", "grid:cells", _("Grid cells"), permission="grid.manage", order=64)


def _connect_cache_invalidation() -> None:
    """Per-process caches of the Open311 POST path forget what changed in this process at once
    (other processes re-read within their TTL: 30 s). Org units are named by label: grid reads
    them through accounts' selectors, never its models."""
    for signal in (post_save, post_delete):
        signal.connect(geo.forget_units, sender="accounts.OrgUnit", dispatch_uid=f"grid.units.{signal}")
        signal.connect(open311.forget_categories, sender=Category, dispatch_uid=f"grid.cats.{signal}")


def _connect_complaints() -> None:
    """Citizens' complaints (12345 work orders) that are grid matters become incidents."""
    for kind in complaints.GRID_KINDS:
        on_opened(kind)(complaints.incident_from_work_order)
