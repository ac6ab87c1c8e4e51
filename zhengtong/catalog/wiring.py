"""How the catalogue plugs into the platform, installed once by ``CatalogConfig.ready()``: its
permissions and roles, the recovery of stale loads, and the menus."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog import hooks, indicators, permissions, tasks  # noqa: F401 - importing declares and registers them
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic


def install() -> None:
    indicators.install()
    # Loads whose worker died stay "running"; fail them so the publisher can load again.
    register_periodic("catalog.loads_recover_stale", tasks.loads_recover_stale_task, 600)
    register_periodic("catalog.harvests_due", tasks.harvests_due_task, settings.CATALOG_HARVEST_CHECK_SECONDS)
    register_periodic("catalog.dataservices_check", tasks.dataservices_check_task, 3600)
    register_nav("main", "catalog:portal", _("Open data"), order=40, audiences=("public", "enterprise"))
    register_nav("console", "catalog:my_resources", _("Data resources"), permission="catalog.edit")
    register_nav("console", "catalog:review_queue", _("Data review"), permission="catalog.review")
    register_nav("console", "catalog:harvest", _("Harvesting"), permission="catalog.manage_harvest")
    register_nav("console", "catalog:dataservice_new", _("Catalogue an API"), permission="catalog.edit")
    register_nav(
        "console",
        "catalog:applications",
        _("Data applications"),
        permission="catalog.decide_applications",
    )
