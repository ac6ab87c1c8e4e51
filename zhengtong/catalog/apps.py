from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "zhengtong.catalog"
    label = "catalog"
    verbose_name = _("Public data catalogue")
    api_prefix = "/catalog"
    demo_order = 30

    def ready(self) -> None:
        from zhengtong.catalog import permissions  # noqa: F401  (registers permissions and roles)
        from zhengtong.catalog.tasks import loads_recover_stale_task
        from zhengtong.core.nav import register_nav
        from zhengtong.core.tasks import register_periodic

        # Loads whose worker died stay "running"; fail them so the publisher can load again.
        register_periodic("catalog.loads_recover_stale", loads_recover_stale_task, 600)

        register_nav("main", "catalog:portal", _("Open data"), order=40)
        register_nav("console", "catalog:my_resources", _("Data resources"), permission="catalog.edit")
        register_nav("console", "catalog:review_queue", _("Data review"), permission="catalog.review")
        register_nav(
            "console",
            "catalog:applications",
            _("Data applications"),
            permission="catalog.decide_applications",
        )
