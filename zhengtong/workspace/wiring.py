"""How the workspace plugs into the platform, installed once by ``WorkspaceConfig.ready()``:
permissions and roles, the SLA clock and escalation of tasks, the periodic scan, notify's push
channel, the menus."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_loop, register_periodic
from zhengtong.workspace import permissions, tasks
from zhengtong.workspace.models import Task
from zhengtong.workspace.services import delivery, push


def install() -> None:
    permissions.install()
    push.install()
    sla.register(Task, on_overdue=tasks.on_overdue)
    register_periodic("workspace.scan", tasks.scan_task, settings.WORKSPACE_SCAN_INTERVAL_SECONDS)
    register_loop("workspace.delivery", delivery.deliver_loop, settings.WORKSPACE_DELIVERY_INTERVAL_MS / 1000)
    register_nav("console", "workspace:home", _("Workspace (掌上办公)"), permission="workspace.use", order=5)
    register_nav(
        "main",
        "workspace:home",
        _("Workspace (掌上办公)"),
        permission="workspace.use",
        order=11,
        audiences=("staff",),
    )
    register_nav(
        "console", "workspace:supervision", _("Supervision (督办)"), permission="workspace.supervise", order=6
    )
    register_nav("main", "workspace:knowledge", _("Knowledge base"), order=85, audiences=())
