"""How the cockpit plugs into the platform, installed once by ``CockpitConfig.ready()``: its
permissions, its own indicators, the periodic tasks and the menus."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.cockpit import indicators, permissions, tasks
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic


def install() -> None:
    permissions.install()
    indicators.install()
    register_periodic(
        "cockpit.materialize", tasks.materialize_task, settings.COCKPIT_MATERIALIZE_INTERVAL_SECONDS
    )
    register_periodic("cockpit.open_data_index", tasks.open_data_index_task, 86400)
    register_nav("console", "cockpit:home", _("Cockpit"), permission="cockpit.view", order=5)
    register_nav(
        "main", "cockpit:home", _("Cockpit"), permission="cockpit.view", order=10, audiences=("leader",)
    )
    register_nav("console", "cockpit:feeds", _("Live feeds"), permission="cockpit.manage", order=6)
    register_nav("main", "cockpit:methodology", _("Indicators"), order=80, audiences=("leader",))
