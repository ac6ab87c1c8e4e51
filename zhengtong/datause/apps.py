from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatauseConfig(AppConfig):
    name = "zhengtong.datause"
    label = "datause"
    verbose_name = _("Open data use")
    api_prefix = "/datause"
    demo_order = 95

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.datause import wiring

        wiring.install()
