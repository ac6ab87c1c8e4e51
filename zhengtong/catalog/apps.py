from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "zhengtong.catalog"
    label = "catalog"
    verbose_name = _("Public data catalogue")
    api_prefix = "/catalog"
    demo_order = 30

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.catalog import wiring

        wiring.install()
