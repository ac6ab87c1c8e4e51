from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "zhengtong.supervision"
    label = "supervision"
    verbose_name = _("Internet + supervision")
    api_prefix = "/supervision"
    demo_order = 120

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.supervision import wiring

        wiring.install()
