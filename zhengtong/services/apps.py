from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "zhengtong.services"
    label = "services"
    verbose_name = _("One-stop services")
    api_prefix = "/services"
    demo_order = 70

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.services import wiring

        wiring.install()
