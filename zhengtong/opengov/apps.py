from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpengovConfig(AppConfig):
    name = "zhengtong.opengov"
    label = "opengov"
    verbose_name = _("Open government")
    api_prefix = "/opengov"
    demo_order = 110

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.opengov import wiring

        wiring.install()
