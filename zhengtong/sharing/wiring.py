"""How the sharing module plugs into the platform, installed once by ``SharingConfig.ready()``:
permissions, SLA clocks of requests and objections, the hourly task, the console menu."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.core import hooks, sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.sharing import indicators, permissions, tasks
from zhengtong.sharing.models import Objection, SharingRequest
from zhengtong.sharing.services.open_terms import require_terms


def install() -> None:
    permissions.install()
    indicators.install()
    sla.register(SharingRequest)
    sla.register(Objection)
    hooks.connect("catalog.application_approving", require_terms)
    register_periodic("sharing.hourly", tasks.hourly_task, settings.SHARING_ALERT_INTERVAL_SECONDS)
    register_periodic("sharing.batches", tasks.batches_task, settings.SHARING_BATCH_SCAN_SECONDS)
    register_nav("console", "sharing:directory", _("Data sharing"), permission="sharing.view", order=45)
    register_nav(
        "console", "sharing:decide", _("Sharing requests to decide"), permission="sharing.approve", order=46
    )
    register_nav("console", "sharing:usage", _("Who uses my data"), permission="sharing.view", order=47)
