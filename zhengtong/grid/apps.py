from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "zhengtong.grid"
    label = "grid"
    verbose_name = _("Grid governance")
    api_prefix = "/grid"
    demo_order = 90

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.grid import wiring

        wiring.install()
