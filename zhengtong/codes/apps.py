from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "zhengtong.codes"
    label = "codes"
    verbose_name = _("Codes, risk map and indices")
    api_prefix = "/codes"
    demo_order = 80

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.codes import wiring

        wiring.install()
