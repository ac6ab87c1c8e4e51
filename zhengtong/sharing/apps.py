from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "zhengtong.sharing"
    label = "sharing"
    verbose_name = _("Data sharing and exchange")
    api_prefix = "/sharing"
    demo_order = 75

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.sharing import wiring

        wiring.install()
