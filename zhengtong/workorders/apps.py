from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkordersConfig(AppConfig):
    name = "zhengtong.workorders"
    label = "workorders"
    verbose_name = _("Consultations and complaints")
    api_prefix = "/workorders"
    demo_order = 60

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.workorders import wiring

        wiring.install()
