from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    name = "zhengtong.cockpit"
    label = "cockpit"
    verbose_name = _("Leaders' cockpit")
    api_prefix = "/cockpit"
    demo_order = 200  # after every module whose data the indicators read

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.cockpit import wiring

        wiring.install()
