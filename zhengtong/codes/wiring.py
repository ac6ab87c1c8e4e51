"""How the codes module plugs into the platform, installed once by ``CodesConfig.ready()``:
permissions and roles, the daily and retention tasks, and the menus."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.codes import indicators, permissions
from zhengtong.codes.tasks import daily_task, retention_task
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic


def install() -> None:
    indicators.install()
    permissions.install()
    register_periodic("codes.daily", daily_task, 6 * 3600)
    register_periodic("codes.retention", retention_task, 3600)
    register_nav("main", "codes:my_code", _("My code"), order=60, audiences=("citizen",))
    register_nav("main", "codes:risk_map", _("Risk map"), order=61, audiences=())
    register_nav("console", "codes:console", _("Codes"), permission="codes.view")
