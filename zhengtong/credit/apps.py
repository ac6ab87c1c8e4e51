from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "zhengtong.credit"
    label = "credit"
    verbose_name = _("Public credit")
    api_prefix = "/credit"
    demo_order = 110

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.credit import wiring

        wiring.install()
