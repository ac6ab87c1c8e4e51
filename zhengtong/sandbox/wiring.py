"""How the data sandbox plugs into the platform, installed once by ``SandboxConfig.ready()``:
permissions and roles, the SLA clock of project approvals, the expiry task and the menus."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.sandbox import permissions, tasks
from zhengtong.sandbox.models import Project


def install() -> None:
    permissions.install()
    sla.register(Project)
    register_periodic("sandbox.expiry", tasks.expiry_task, settings.SANDBOX_EXPIRY_INTERVAL_SECONDS)
    register_nav("console", "sandbox:home", _("Data sandbox"), permission="sandbox.use", order=70)
    register_nav(
        "console",
        "sandbox:review",
        _("Sandbox approvals and output checks"),
        permission="sandbox.check",
        order=71,
    )
