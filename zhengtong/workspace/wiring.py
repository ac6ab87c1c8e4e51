"""How the workspace plugs into the platform, installed once by ``WorkspaceConfig.ready()``:
permissions and roles, the SLA clock and escalation of tasks, the periodic scan, notify's push
channel, the menus."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhengtong.core import sla
from zhengtong.core.errors import NotFound
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_loop, register_periodic
from zhengtong.workorders import hooks as workorder_hooks
from zhengtong.workspace import permissions, selectors, tasks
from zhengtong.workspace.models import Task
from zhengtong.workspace.services import delivery, push


def _answer(entry) -> workorder_hooks.Answer:
    return workorder_hooks.Answer(
        ref=f"knowledge:{entry.pk}",
        title=entry.title,
        body=entry.body,
        url=reverse("workspace:knowledge_entry", args=[entry.pk]),
    )


def _knowledge_search(user, q: str, limit: int) -> list:
    return [_answer(e) for e in selectors.knowledge_search(user, q=q, limit=limit)]


def _knowledge_get(user, ref: str):
    prefix, _sep, pk = (ref or "").partition(":")
    if prefix != "knowledge" or not pk.isdigit():
        return None
    try:
        return _answer(selectors.knowledge_get(user, int(pk)))
    except NotFound:
        return None


def install() -> None:
    permissions.install()
    # The one knowledge base: 12345 suggests its entries to operators and shows the public ones.
    workorder_hooks.KNOWLEDGE.add(
        "workspace", workorder_hooks.KnowledgeSource(search=_knowledge_search, get=_knowledge_get)
    )
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
