from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from zhengtong.core.nav import register_nav


class CatalogConfig(AppConfig):
    name = "zhengtong.catalog"
    label = "catalog"
    verbose_name = _("Public data catalogue")
    api_prefix = "/catalog"
    demo_order = 30

    def ready(self) -> None:
        # Lazy: the app's wiring and the task registry import models, which must be loaded first. Importing
        # permissions registers the catalogue's permissions and roles.
        from zhengtong.catalog import permissions, tasks  # noqa: F401
        from zhengtong.core.tasks import register_periodic

        # Loads whose worker died stay "running"; fail them so the publisher can load again.
        register_periodic("catalog.loads_recover_stale", tasks.loads_recover_stale_task, 600)

        register_nav("main", "catalog:portal", _("Open data"), order=40)
        register_nav("console", "catalog:my_resources", _("Data resources"), permission="catalog.edit")
        register_nav("console", "catalog:review_queue", _("Data review"), permission="catalog.review")
        register_nav(
            "console",
            "catalog:applications",
            _("Data applications"),
            permission="catalog.decide_applications",
        )
